import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphAlertSchema } from '../../src/alert/graph-schema.js';
import { MdeAlertSchema } from '../../src/alert/mde-schema.js';
import { SiemAlertSchema } from '../../src/alert/siem-schema.js';
import { graphToSiem, mdeToSiem, SIEM_FIELDS } from '../../src/alert/to-siem.js';

const graph = GraphAlertSchema.parse(JSON.parse(readFileSync(new URL('../fixtures/graph-alerts_v2-alert.json', import.meta.url), 'utf8')));
const mdeLines = readFileSync(new URL('../fixtures/mde-api-alerts-elastic-fixture.ndjson', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const mde = MdeAlertSchema.parse(JSON.parse(mdeLines[0]!));
const siemExample = JSON.parse(readFileSync(new URL('../fixtures/siem-api-alerts-msdocs.json', import.meta.url), 'utf8')) as Array<
  Record<string, unknown>
>;

describe('the published fixtures validate', () => {
  it("every Defender for Endpoint alert of Elastic's test data (evidence split per line)", () => {
    for (const line of mdeLines.slice(0, -1)) expect(MdeAlertSchema.safeParse(JSON.parse(line)).success).toBe(true);
  });

  it("Microsoft's Graph alerts_v2 sample", () => {
    expect(graph.id).toBe('da637551227677560813_-961444813');
  });
});

describe("graphToSiem (Microsoft's SIEM → alerts_v2 mapping)", () => {
  const mapped = graphToSiem(graph);

  it("emits all 50 SIEM fields in the SIEM API's order", () => {
    expect(Object.keys(mapped)).toEqual([...SIEM_FIELDS]);
    expect(Object.keys(mapped)).toEqual(Object.keys(siemExample[0]!));
  });

  it('maps field by field as the table says', () => {
    expect(mapped).toMatchObject({
      AlertTime: graph.createdDateTime,
      AlertTitle: 'Suspicious execution of hidden file',
      AlertId: graph.id,
      Severity: 'Low',
      Category: 'DefenseEvasion',
      LinkToWDATP: graph.alertWebUrl,
      LinkToMTP: graph.alertWebUrl,
      IncidentLinkToWDATP: graph.incidentWebUrl,
      IncidentLinkToMTP: graph.incidentWebUrl,
      IoaDefinitionId: graph.detectorId,
      LastProcessedTimeUtc: graph.lastActivityDateTime,
      ThreatCategory: 'T1564.001',
      Source: 'antivirus',
      ComputerDnsName: 'tempDns',
      MachineName: 'tempDns',
      DeviceID: '73e7e2de709dff64ef64b1d0c30e67fab63279db',
      MachineGroup: 'UnassignedGroup',
    });
  });

  it('takes file and process fields from the evidence', () => {
    const file = (graph.evidence ?? []).find((e) => e['@odata.type']?.endsWith('fileEvidence')) as { fileDetails: Record<string, string> };
    expect(mapped.Sha1).toBe(file.fileDetails['sha1']);
    expect(mapped.FileName).toBe(file.fileDetails['fileName']);
    const process = (graph.evidence ?? []).find((e) => e['@odata.type']?.endsWith('processEvidence')) as { processCommandLine: string };
    expect(mapped.CommandLine).toBe(process.processCommandLine);
  });

  it('leaves the fields with no equivalent null', () => {
    for (const field of [
      'IocName',
      'IocValue',
      'CreatorIocName',
      'CreatorIocValue',
      'InternalIPv4List',
      'InternalIPv6List',
      'AlertPart',
      'ReportID',
      'ExternalId',
      'FullId',
      'IocUniqueId',
    ] as const) {
      expect(mapped[field]).toBeNull();
    }
  });

  it('passes the SIEM schema', () => {
    expect(SiemAlertSchema.safeParse(mapped).success).toBe(true);
  });
});

describe('mdeToSiem', () => {
  const mapped = mdeToSiem(mde);

  it('maps the Defender for Endpoint entity onto the SIEM fields', () => {
    expect(Object.keys(mapped)).toEqual([...SIEM_FIELDS]);
    expect(mapped).toMatchObject({
      AlertId: 'da637291085411733957_-1043898914',
      AlertTitle: "An active 'Exeselrun' malware was detected",
      Severity: 'Low',
      Category: 'Malware',
      AlertTime: '2020-06-30T10:09:01.1569718Z',
      LastProcessedTimeUtc: '2020-06-30T10:07:44.333733Z',
      ComputerDnsName: 'testserver4',
      MachineName: 'testserver4',
      Source: 'WindowsDefenderAv',
      DeviceID: 'c5a964f417c11f6277d5bf9489f0d',
      FileName: 'SB.xsl',
      LinkToWDATP: null,
    });
  });
});
