/**
 * Alerts other projects captured or wrote for their own tests (test/fixtures/peer, sources in its
 * SOURCES.md), replayed as they are: each schema accepts every alert of its API, whichever path
 * decides (the byte check on the compact bytes the splitters hand on, or JSON.parse + zod), and
 * both paths find the same identity.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ByteCheck } from '../../src/alert/byte-check.js';
import { GRAPH_BYTE_CHECK, GraphAlertSchema } from '../../src/alert/graph-schema.js';
import { MDE_BYTE_CHECK, MdeAlertSchema } from '../../src/alert/mde-schema.js';
import { SIEM_BYTE_CHECK, SiemAlertSchema } from '../../src/alert/siem-schema.js';
import { validateAlert } from '../../src/alert/validate.js';
import { JsonArraySplitter } from '../../src/json/array-splitter.js';
import { ODataPageSplitter } from '../../src/json/odata-page.js';

const peer = (name: string): string => readFileSync(new URL(`../fixtures/peer/${name}`, import.meta.url), 'utf8');
const compact = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** An OData page as the CLI reads it: through the page splitter, in small chunks. */
function pageAlerts(text: string): Buffer[] {
  const splitter = new ODataPageSplitter();
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 97) out.push(...splitter.push(bytes.subarray(i, i + 97)));
  splitter.end();
  return out;
}

function arrayAlerts(text: string): Buffer[] {
  const splitter = new JsonArraySplitter();
  const out = splitter.push(Buffer.from(text));
  splitter.end();
  return out;
}

const lines = (text: string): string[] => text.split(/\r?\n/).filter((l) => l.trim() !== '');

interface Source {
  file: string;
  alerts: () => Buffer[];
}

const MDE: Source[] = [
  { file: 'elastic-mde-mock-alerts-answer.json', alerts: () => pageAlerts(peer('elastic-mde-mock-alerts-answer.json')) },
  {
    file: 'xsoar-mde-test_data-first_response_alerts.json',
    alerts: () => pageAlerts(peer('xsoar-mde-test_data-first_response_alerts.json')),
  },
  {
    file: 'xsoar-mde-test_data-second_response_alerts.json',
    alerts: () => pageAlerts(peer('xsoar-mde-test_data-second_response_alerts.json')),
  },
  {
    file: 'xsoar-mde-test_data-third_response_alerts.json',
    alerts: () => pageAlerts(peer('xsoar-mde-test_data-third_response_alerts.json')),
  },
  // A bare alert (the mock serves it for `$top=1`), and an alert answered to a PATCH.
  {
    file: 'rapid7-mde-unit_test-test_get_alerts.json.resp',
    alerts: () => [compact(JSON.parse(peer('rapid7-mde-unit_test-test_get_alerts.json.resp')))],
  },
  {
    file: 'rapid7-mde-unit_test-test_update_alert.json.resp',
    alerts: () => [compact(JSON.parse(peer('rapid7-mde-unit_test-test_update_alert.json.resp')))],
  },
  // One alert a line, `evidence` split into one object a line; the last line is an empty page.
  {
    file: 'elastic-mde-pipeline-test-defenderatp.log',
    alerts: () =>
      lines(peer('elastic-mde-pipeline-test-defenderatp.log')).flatMap((l) =>
        l.startsWith('{"value"') ? pageAlerts(l) : [compact(JSON.parse(l))],
      ),
  },
];

const GRAPH: Source[] = [
  {
    file: 'msgraph-docs-security-list-alerts_v2-response.json',
    alerts: () => pageAlerts(peer('msgraph-docs-security-list-alerts_v2-response.json')),
  },
  { file: 'elastic-m365-alert-mock-page1.json', alerts: () => pageAlerts(peer('elastic-m365-alert-mock-page1.json')) },
  { file: 'elastic-m365-alert-mock-page2.json', alerts: () => pageAlerts(peer('elastic-m365-alert-mock-page2.json')) },
  { file: 'elastic-m365-alert-recovery-answer.json', alerts: () => pageAlerts(peer('elastic-m365-alert-recovery-answer.json')) },
  {
    file: 'elastic-m365-alert-pipeline-test-alert.log',
    alerts: () =>
      lines(peer('elastic-m365-alert-pipeline-test-alert.log')).flatMap((l) =>
        l.includes('"value":[') ? pageAlerts(l) : [compact(JSON.parse(l))],
      ),
  },
  {
    file: 'elastic-m365-alert-pipeline-test-alert.v2021.log',
    alerts: () => lines(peer('elastic-m365-alert-pipeline-test-alert.v2021.log')).map((l) => compact(JSON.parse(l))),
  },
  {
    // Wazuh wraps each alert in its module's event.
    file: 'wazuh-msgraph-events.ndjson',
    alerts: () => lines(peer('wazuh-msgraph-events.ndjson')).map((l) => compact((JSON.parse(l) as { 'ms-graph': unknown })['ms-graph'])),
  },
  {
    // Case 2 is alerts_v2 (case 1 is the legacy security/alerts API, which the tool does not read).
    file: 'xsoar-msgraphsecurity-test_data-test_search_alerts_command.json',
    alerts: () =>
      pageAlerts(
        JSON.stringify(
          (
            JSON.parse(peer('xsoar-msgraphsecurity-test_data-test_search_alerts_command.json')) as {
              test_case_2: { mock_response: unknown };
            }
          ).test_case_2.mock_response,
        ),
      ),
  },
];

const SIEM: Source[] = [
  {
    file: 'msdocs-siem-pull-alerts-rest-api-2020-example.json',
    alerts: () => arrayAlerts(peer('msdocs-siem-pull-alerts-rest-api-2020-example.json')),
  },
  // The 2017 example is one bare object, not the array the page says.
  {
    file: 'msdocs-siem-pull-alerts-rest-api-2017-example.json',
    alerts: () => [compact(JSON.parse(peer('msdocs-siem-pull-alerts-rest-api-2017-example.json')))],
  },
  {
    file: 'rapid7-siem-komand-connection-fake_alert.json',
    alerts: () => arrayAlerts(peer('rapid7-siem-komand-connection-fake_alert.json')),
  },
  {
    file: 'rapid7-siem-helpmd-get_alerts-trigger-output.json',
    alerts: () => (JSON.parse(peer('rapid7-siem-helpmd-get_alerts-trigger-output.json')) as { results: unknown[] }).results.map(compact),
  },
];

const APIS: [string, Source[], z.ZodType, ByteCheck, (v: Record<string, unknown>) => unknown[]][] = [
  ['mde', MDE, MdeAlertSchema, MDE_BYTE_CHECK, (v) => [v.id, v.lastUpdateTime, v.alertCreationTime ?? undefined]],
  ['graph', GRAPH, GraphAlertSchema, GRAPH_BYTE_CHECK, (v) => [v.id, v.lastUpdateDateTime]],
  ['siem', SIEM, SiemAlertSchema, SIEM_BYTE_CHECK, (v) => [v.AlertId, v.FullId ?? undefined, v.LastProcessedTimeUtc]],
];

describe.each(APIS)('%s: peer projects’ alerts', (_api, sources, schema, byteCheck, identity) => {
  it.each(sources)('$file: every alert is valid, and the byte check agrees', ({ alerts }) => {
    const raws = alerts();
    expect(raws.length).toBeGreaterThan(0);
    for (const raw of raws) {
      const full = validateAlert(schema, raw);
      expect(full.ok ? [] : full.problems).toEqual([]);
      const fields = byteCheck(raw);
      // "Don't know" is allowed (the full path decides); a "valid" must name the same identity.
      if (fields !== undefined && full.ok) expect(Object.values(fields)).toEqual(identity(full.value as Record<string, unknown>));
    }
  });
});
