/**
 * `--schema siem` as a source wrapper: each alert of an mde or graph source is written in the SIEM
 * layout (../alert/to-siem.ts). The record's key and time stay the API's own, so checkpoints do not
 * depend on the output schema.
 */
import { graphToSiem, mdeToSiem } from '../alert/to-siem.js';
import type { GraphAlert } from '../alert/graph-schema.js';
import type { MdeAlert } from '../alert/mde-schema.js';
import type { AlertQuery, AlertRecord, AlertSource } from './source.js';

export function withSchema(source: AlertSource, schema: 'native' | 'siem'): AlertSource {
  if (schema === 'native' || source.api === 'siem') return source;
  const map = source.api === 'mde' ? (a: unknown) => mdeToSiem(a as MdeAlert) : (a: unknown) => graphToSiem(a as GraphAlert);
  return {
    api: source.api,
    async *fetch(query: AlertQuery, signal?: AbortSignal): AsyncGenerator<AlertRecord> {
      for await (const record of source.fetch(query, signal)) {
        const mapped = map(JSON.parse(record.raw.toString('utf8')));
        yield { ...record, raw: Buffer.from(JSON.stringify(mapped)) };
      }
    },
  };
}
