/**
 * Writes an alert answer as one JSON array, one alert per line (`[\n{…},\n{…}\n]\n`), in
 * chunks of about 64 KiB, waiting for `drain` whenever the socket's buffer is full: memory stays
 * flat however many alerts stream and however slowly the client reads.
 */
import type { ServerResponse } from 'node:http';
import type { SiemAlert } from './alert-types.js';

const CHUNK_CHARS = 64 * 1024;

/**
 * An alert collection may also offer its alerts as ready JSON texts (each exactly
 * `JSON.stringify(alert)`) under this key; the writer then skips serialising objects.
 */
export const ALERT_JSON_TEXTS = Symbol('alert JSON texts');

/** Alerts that can be iterated as objects or as their JSON texts. */
export interface SerialisableAlerts extends Iterable<SiemAlert> {
  [ALERT_JSON_TEXTS](): Iterable<string>;
}

/** The alerts' JSON texts: ready-made when the collection offers them, else serialised here. */
function* jsonTexts(alerts: Iterable<SiemAlert>): Iterable<string> {
  const ready = (alerts as Partial<SerialisableAlerts>)[ALERT_JSON_TEXTS];
  if (ready !== undefined) {
    yield* ready.call(alerts);
    return;
  }
  for (const alert of alerts) yield JSON.stringify(alert);
}

export interface StreamOptions {
  /** Send this many complete alerts, then destroy the connection (a scripted fault). */
  cutAfterAlerts?: number | undefined;
}

/** Streams `alerts` as the body of `res` (headers must not be sent yet). Resolves when done or aborted. */
export async function streamAlertArray(res: ServerResponse, alerts: Iterable<SiemAlert>, opts: StreamOptions = {}): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  let chunk = '[';
  let written = 0;
  for (const text of jsonTexts(alerts)) {
    if (written === opts.cutAfterAlerts) break;
    chunk += `${written === 0 ? '\n' : ',\n'}${text}`;
    written++;
    if (chunk.length >= CHUNK_CHARS) {
      if (!(await write(res, chunk))) return;
      chunk = '';
    }
  }
  if (opts.cutAfterAlerts !== undefined) {
    // Let the complete alerts reach the wire, then drop the connection mid-array.
    res.write(chunk, () => res.socket?.destroy());
    return;
  }
  res.end(`${chunk}${written === 0 ? ']\n' : '\n]\n'}`);
}

/** Writes one chunk; resolves false if the client went away. */
async function write(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}
