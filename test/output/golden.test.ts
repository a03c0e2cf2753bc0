/**
 * Microsoft's and Elastic's published alerts, through the CEF and LEEF mappings, compared byte for
 * byte with the lines kept in test/fixtures/golden/ (reviewed by eye when written; their SOURCES.md
 * says where each input comes from). The Defender for Endpoint and Graph alerts are first mapped to
 * the SIEM layout, as the CLI does for --api mde and --api graph. A deliberate mapping change shows
 * here as a diff: rewrite the files with `npx vitest run test/output -u` and review them again.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphAlertSchema } from '../../src/alert/graph-schema.js';
import { MdeAlertSchema } from '../../src/alert/mde-schema.js';
import { graphToSiem, mdeToSiem } from '../../src/alert/to-siem.js';
import { cefLine } from '../../src/output/cef.js';
import { leefLine } from '../../src/output/leef.js';

const fixture = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

// The 2017 documentation example is a bare object; the 2020 one is an array of one.
const siem2017 = JSON.parse(fixture('golden/siem-api-alert-msdocs-2017.json')) as Record<string, unknown>;
const siem2020 = JSON.parse(fixture('siem-api-alerts-msdocs.json')) as Array<Record<string, unknown>>;
// Elastic's file holds one alert per line, the last line an empty page.
const mde = fixture('mde-api-alerts-elastic-fixture.ndjson')
  .trim()
  .split('\n')
  .slice(0, -1)
  .map((line) => mdeToSiem(MdeAlertSchema.parse(JSON.parse(line))));
const graph = [graphToSiem(GraphAlertSchema.parse(JSON.parse(fixture('graph-alerts_v2-alert.json'))))];

const CASES: ReadonlyArray<readonly [name: string, alerts: ReadonlyArray<Record<string, unknown>>]> = [
  ['siem-2017', [siem2017]],
  ['siem-2020', siem2020],
  ['mde-elastic', mde],
  ['graph-alerts_v2', graph],
];

const document = (lines: string[]): string => lines.map((line) => `${line}\n`).join('');

describe('golden lines of the published alerts', () => {
  it.each(CASES)('%s as CEF', async (name, alerts) => {
    await expect(document(alerts.map(cefLine))).toMatchFileSnapshot(`../fixtures/golden/${name}.cef`);
  });

  it.each(CASES)('%s as LEEF', async (name, alerts) => {
    await expect(document(alerts.map(leefLine))).toMatchFileSnapshot(`../fixtures/golden/${name}.leef`);
  });
});
