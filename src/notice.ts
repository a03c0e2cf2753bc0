/**
 * The lines the process writes on stderr itself, outside its logger: the last error (cli.ts
 * `reportError`), commander's usage errors, the signal notices of main.ts. Off a terminal each is
 * one JSON object shaped as pino's lines are (log.ts: `level` number, `time` in ms, `pid`, the
 * fields, `msg`), so a journal read with `jq` parses every line; on a terminal it is the human line
 * it always was. Kept apart from log.ts so the entry point writes them without loading pino.
 */

/** pino's level numbers. */
export const LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type NoticeLevel = keyof typeof LEVEL_VALUES;

/** pino's levels, as `--log-level` takes them (here, not in log.ts, so the option table needs no pino). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One line the process says itself. */
export interface Notice {
  level: NoticeLevel;
  msg: string;
  /** Fields of the JSON line (`code`, `exitCode`, `hint`, `signal`, `err`, …). */
  fields?: Record<string, unknown> | undefined;
  /** The line on a terminal, without its newline; absent: a terminal is told nothing. */
  human?: string | undefined;
}

/** Where notices go: stderr, or a stand-in. `isTTY` (as on `process.stderr`) picks the human form. */
export interface NoticeStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** The notice as pino would have written it, with its newline (pure: `time` and `pid` are given). */
export function noticeJson(notice: Notice, time: number, pid: number): string {
  return `${JSON.stringify({ level: LEVEL_VALUES[notice.level], time, pid, ...notice.fields, msg: notice.msg })}\n`;
}

/** Writes `notice` on `stream`: the human line on a terminal, the JSON line anywhere else. */
export function writeNotice(stream: NoticeStream, notice: Notice): void {
  if (stream.isTTY !== true) stream.write(noticeJson(notice, Date.now(), process.pid));
  else if (notice.human !== undefined) stream.write(`${notice.human}\n`);
}
