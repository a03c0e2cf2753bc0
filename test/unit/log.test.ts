import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('writes JSON lines with the level, message and fields', () => {
    const { lines, destination } = capture();
    createLogger('info', { pretty: false, destination }).info({ alerts: 3 }, 'pull complete');
    const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, msg: 'pull complete', alerts: 3 });
  });

  it('censors every secret and token path, even at trace', () => {
    const { lines, destination } = capture();
    const log = createLogger('trace', { pretty: false, destination });
    log.trace({ clientSecret: 'S1', access_token: 'T1', headers: { authorization: 'Bearer T2' } }, 'top');
    log.trace({ request: { client_secret: 'S2', token: 'T3', accessToken: 'T4' } }, 'nested');
    const all = lines.join('');
    for (const secret of ['S1', 'S2', 'T1', 'T2', 'T3', 'T4']) expect(all).not.toContain(secret);
    expect(all).toContain('[redacted]');
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const log = createLogger('warn', { pretty: false, destination });
    log.info('quiet');
    log.warn('loud');
    expect(lines).toHaveLength(1);
  });
});

describe('prettyLine', () => {
  it('formats a pino line for a terminal', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2024, 4, 1, 12, 0, 1), pid: 1, msg: 'retrying', status: 503 }));
    expect(line).toBe('12:00:01 WARN  retrying status=503\n');
  });
});
