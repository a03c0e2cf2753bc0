import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli.js';
import {
  AuthError,
  DataError,
  ForbiddenError,
  LockedError,
  NetworkError,
  OutputClosedError,
  ServiceError,
  UsageError,
} from '../../src/errors.js';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('reportError: the one place errors become exit codes', () => {
  it.each([
    [new UsageError('bad flag'), 2],
    [new AuthError('A', 'refused'), 3],
    [new ForbiddenError('F', 'forbidden'), 4],
    [new ServiceError('S', 'failed'), 5],
    [new NetworkError('N', 'unreachable'), 6],
    [new DataError('D', 'not an array'), 65],
    [new LockedError('L', 'held'), 75],
  ])('%s → exit %i with one line, message and hint', (err, code) => {
    const out = capture();
    const withHint = Object.assign(err, { hint: 'do this' });
    expect(reportError(withHint, out.stream)).toBe(code);
    expect(out.text()).toBe(`defender-alerts: ${err.message} — do this\n`);
  });

  it('a closed output is exit 0 and says nothing', () => {
    const out = capture();
    expect(reportError(new OutputClosedError(), out.stream)).toBe(0);
    expect(out.text()).toBe('');
  });

  it('commander usage errors are exit 2 (commander printed them), help and version exit 0', () => {
    const out = capture();
    expect(reportError(new CommanderError(1, 'commander.unknownOption', 'x'), out.stream)).toBe(2);
    expect(reportError(new CommanderError(0, 'commander.helpDisplayed', 'x'), out.stream)).toBe(0);
    expect(out.text()).toBe('');
  });

  it('anything else is a bug: exit 1 with the stack and a request to report it', () => {
    const out = capture();
    expect(reportError(new TypeError('x is undefined'), out.stream)).toBe(1);
    expect(out.text()).toContain('internal error (a bug — please report it');
    expect(out.text()).toContain('TypeError: x is undefined');
    expect(out.text()).toMatch(/\n\s+at /);
  });
});
