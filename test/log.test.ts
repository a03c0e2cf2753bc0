import { describe, expect, it } from 'vitest';
import { createLogger, prettyLine } from '../src/log.js';
import { noticeJson, writeNotice } from '../src/notice.js';

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

// The lines the entry point writes itself (the last error, signal notices) must read like the
// logger's own, so one `jq` filter reads all of stderr.
describe('notices', () => {
  it('off a terminal, a notice is a line in the shape of a pino line', () => {
    const { lines, destination } = capture();
    createLogger('info', { pretty: false, destination }).error({ code: 'X', exitCode: 3 }, 'refused');
    const fromPino = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    const line = noticeJson({ level: 'error', msg: 'refused', fields: { code: 'X', exitCode: 3 } }, 1_700_000_000_000, 42);
    expect(line.endsWith('}\n')).toBe(true);
    const notice = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(notice)).toEqual(Object.keys(fromPino));
    expect(notice).toEqual({ ...fromPino, time: 1_700_000_000_000, pid: 42 });
  });

  it('on a terminal, the human line, or nothing when a notice has none', () => {
    let text = '';
    const terminal = { isTTY: true, write: (t: string) => (text += t) };
    writeNotice(terminal, { level: 'info', msg: 'stopping', human: 'defender-alerts: SIGTERM received, stopping' });
    writeNotice(terminal, { level: 'info', msg: 'stopped on SIGTERM', fields: { exitCode: 143 } });
    expect(text).toBe('defender-alerts: SIGTERM received, stopping\n');
  });

  it('anywhere else, JSON with the time and pid of now', () => {
    let text = '';
    writeNotice({ write: (t: string) => (text += t) }, { level: 'warn', msg: 'again', fields: { signal: 'SIGINT' }, human: 'x' });
    expect(JSON.parse(text)).toEqual({ level: 40, time: expect.any(Number) as number, pid: process.pid, signal: 'SIGINT', msg: 'again' });
  });
});
