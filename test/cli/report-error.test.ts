import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli.js';
import {
  AuthError,
  DataError,
  ForbiddenError,
  LockedError,
  NetworkError,
  outcomeLine,
  outcomeOf,
  OutputClosedError,
  ServiceError,
  UsageError,
} from '../../src/errors.js';
import { capture } from '../helpers/capture.js';

describe('reportError on a terminal: the line a person reads', () => {
  it.each([
    [new UsageError('bad flag'), 2],
    [new AuthError('API_401', 'refused'), 3],
    [new ForbiddenError('API_403', 'forbidden'), 4],
    [new ServiceError('API_500', 'failed'), 5],
    [new NetworkError('TRANSPORT', 'unreachable'), 6],
    [new DataError('NOT_AN_ARRAY', 'not an array'), 65],
    [new LockedError('STATE_LOCKED', 'held'), 75],
  ])('%s → exit %i with one line, message and hint', (err, code) => {
    const out = capture(true);
    const withHint = Object.assign(err, { hint: 'do this' });
    expect(reportError(withHint, out.stream)).toBe(code);
    expect(out.text()).toBe(`defender-alerts: ${err.message} — do this\n`);
  });

  it('a closed output is exit 0 and says nothing', () => {
    for (const out of [capture(true), capture(false)]) {
      expect(reportError(new OutputClosedError(), out.stream)).toBe(0);
      expect(out.text()).toBe('');
    }
  });

  it("commander's usage errors are exit 2 in the tool's own words; help and version exit 0", () => {
    const out = capture(true);
    expect(reportError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'"), out.stream)).toBe(2);
    expect(reportError(new CommanderError(0, 'commander.helpDisplayed', 'x'), out.stream)).toBe(0);
    expect(out.text()).toBe("defender-alerts: unknown option '--bogus' — run with --help for usage\n");
  });

  it('anything else is a bug: exit 1 with the stack and a request to report it', () => {
    const out = capture(true);
    expect(reportError(new TypeError('x is undefined'), out.stream)).toBe(1);
    expect(out.text()).toMatch(
      /^defender-alerts: internal error \(a bug — please report it with this output\):\nTypeError: x is undefined\n\s+at /,
    );
  });
});

// Off a terminal (journald, cron mail, a log shipper) the line is one JSON object in the shape
// of the log's own lines, so `jq 'select(.level >= 40)'` reads every line of stderr.
describe("reportError off a terminal: one JSON line like the log's", () => {
  it('an AppError: level 50, time, pid, its code, exit code, hint and message', () => {
    const out = capture();
    const before = Date.now();
    const err = new AuthError('AADSTS7000215', 'Entra ID refused the sign-in: "invalid secret"', { hint: 'check the secret' });
    expect(reportError(err, out.stream)).toBe(3);
    expect(out.text().endsWith('}\n')).toBe(true);
    const records = out.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toEqual({
      level: 50,
      time: expect.any(Number) as number,
      pid: process.pid,
      code: 'AADSTS7000215',
      exitCode: 3,
      hint: 'check the secret',
      msg: 'Entra ID refused the sign-in: "invalid secret"',
    });
    expect(records[0]!['time']).toBeGreaterThanOrEqual(before);
    // pino's key order: level, time, pid first, msg last.
    expect(Object.keys(records[0]!)).toEqual(['level', 'time', 'pid', 'code', 'exitCode', 'hint', 'msg']);
  });

  it('no hint, no hint field', () => {
    const out = capture();
    expect(reportError(new LockedError('STATE_LOCKED', 'held'), out.stream)).toBe(75);
    expect(out.records()[0]).not.toHaveProperty('hint');
    expect(out.records()[0]).toMatchObject({ code: 'STATE_LOCKED', exitCode: 75, msg: 'held' });
  });

  it('a commander usage error: one line with exit 2, the USAGE code, the rule that failed and the way to help', () => {
    const out = capture();
    expect(reportError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'"), out.stream)).toBe(2);
    expect(out.records()).toEqual([
      expect.objectContaining({
        level: 50,
        code: 'USAGE',
        reason: 'commander.unknownOption',
        exitCode: 2,
        msg: "unknown option '--bogus'",
        hint: 'run with --help for usage',
      }),
    ]);
    expect(reportError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), out.stream)).toBe(0);
    expect(out.records()).toHaveLength(1);
  });

  it("a bug: level 60, exit 1, and the stack as a field (pino's err shape), all on one line", () => {
    const out = capture();
    expect(reportError(new TypeError('x is undefined'), out.stream)).toBe(1);
    expect(out.text().split('\n')).toHaveLength(2);
    const [record] = out.records();
    expect(record).toMatchObject({
      level: 60,
      exitCode: 1,
      msg: 'internal error (a bug — please report it with this output)',
      err: { type: 'TypeError', message: 'x is undefined', stack: expect.stringMatching(/^TypeError: x is undefined\n\s+at /) as string },
    });
  });
});

describe('outcomeOf: what every reporting path reads a failure as', () => {
  it('an AppError keeps its code, exit code, message and hint, and no stack', () => {
    const outcome = outcomeOf(new AuthError('AADSTS7000215', 'Entra ID refused the secret', { hint: 'check --client-secret' }));
    expect(outcome).toEqual({ exitCode: 3, code: 'AADSTS7000215', message: 'Entra ID refused the secret', hint: 'check --client-secret' });
    expect(outcomeLine(outcome)).toBe('Entra ID refused the secret — check --client-secret');
    expect(outcomeLine(outcomeOf(new UsageError('--since is not a time')))).toBe('--since is not a time');
  });

  it('anything else is a bug: exit 1, code INTERNAL, its stack kept; a thrown string too', () => {
    const bug = outcomeOf(new RangeError('index out of range'));
    expect(bug).toMatchObject({ exitCode: 1, code: 'INTERNAL', message: 'index out of range' });
    expect(bug.stack).toMatch(/^RangeError: index out of range\n\s+at /);
    expect(outcomeOf('thrown text')).toEqual({ exitCode: 1, code: 'INTERNAL', message: 'thrown text', stack: 'thrown text' });
  });
});
