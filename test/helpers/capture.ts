/**
 * A stand-in for stdout or stderr that keeps what was written: a terminal (human lines) or, by
 * default, a pipe or file (JSON lines, which `records` parses).
 */
import { Writable } from 'node:stream';

export interface Captured {
  stream: Writable & { isTTY: boolean };
  text: () => string;
  /** Each non-empty line, parsed as JSON. */
  records: () => Record<string, unknown>[];
}

export function capture(terminal = false): Captured {
  const chunks: Buffer[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    { isTTY: terminal },
  );
  const text = (): string => Buffer.concat(chunks).toString('utf8');
  const records = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, text, records };
}
