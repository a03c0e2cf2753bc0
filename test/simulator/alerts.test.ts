import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { SIEM_FIELDS } from '../../src/microsoft.js';
import { AlertGenerator, rebaseExample } from '../../simulator/alerts.js';
import { MSDOCS_EXAMPLE_2017, MSDOCS_EXAMPLE_2020 } from '../../simulator/msdocs-examples.js';
import { parseTimestamp } from '../../simulator/ticks.js';

const T = parseTimestamp('2026-03-01T11:22:33.4455667Z') ?? 0n;

function sample(seed: number, groups: number): SiemAlert[] {
  const gen = new AlertGenerator(seed);
  const out: SiemAlert[] = [];
  for (let g = 0; g < groups; g++) for (let p = 0; p < gen.detectionsIn(g); p++) out.push(gen.generate(g, p, T));
  return out;
}

describe('AlertGenerator', () => {
  it('is deterministic per seed and differs between seeds', () => {
    expect(sample(7, 20)).toEqual(sample(7, 20));
    expect(new AlertGenerator(7).generate(3, 0, T)).toEqual(new AlertGenerator(7).generate(3, 0, T));
    expect(sample(8, 20)).not.toEqual(sample(7, 20));
  });

  it('uses the documented fields, in order, with the documented types', () => {
    for (const alert of sample(1, 300)) {
      const keys = Object.keys(alert).map((k) => (k === 'IoaDefinitiondId' ? 'IoaDefinitionId' : k));
      expect(keys).toEqual(SIEM_FIELDS.filter((f) => keys.includes(f)));
      expect(typeof alert.AlertPart).toBe('number');
      expect(Number.isInteger(alert.ReportID)).toBe(true);
      for (const f of ['RemediationIsSuccess', 'WasExecutingWhileDetected']) {
        if (f in alert) expect([true, false, null]).toContain(alert[f]);
      }
    }
  });

  it('shows the drift of real answers: "" and null and omitted keys, and the IoaDefinitiondId typo', () => {
    const alerts = sample(1, 400);
    expect(alerts.some((a) => Object.keys(a).length === 50 && a.Actor === '')).toBe(true);
    expect(alerts.some((a) => Object.keys(a).length === 50 && a.Actor === null)).toBe(true);
    expect(alerts.some((a) => Object.keys(a).length < 50 && !('Actor' in a))).toBe(true);
    expect(alerts.some((a) => 'IoaDefinitiondId' in a && !('IoaDefinitionId' in a))).toBe(true);
    expect(alerts.some((a) => a.RemediationIsSuccess === true)).toBe(true);
    expect(alerts.some((a) => a.WasExecutingWhileDetected === false)).toBe(true);
  });

  it('gives several detections of one alert the same AlertId and distinct IocUniqueId/FullId', () => {
    const gen = new AlertGenerator(1);
    const group = Array.from({ length: 200 }, (_, g) => g).find((g) => gen.detectionsIn(g) > 1) ?? -1;
    const parts = Array.from({ length: gen.detectionsIn(group) }, (_, p) => gen.generate(group, p, T));
    expect(new Set(parts.map((a) => a.AlertId)).size).toBe(1);
    expect(new Set(parts.map((a) => a.FullId)).size).toBe(parts.length);
    expect(parts.map((a) => a.AlertPart)).toEqual(parts.map((_, i) => i));
    expect(gen.alertId(group, T)).toBe(parts[0]?.AlertId);
  });

  it('formats identifiers, hashes, links and times like Defender', () => {
    for (const a of sample(3, 100)) {
      expect(a.AlertId).toMatch(/^da\d{18}_-?\d+$/);
      expect(a.IocUniqueId).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(a.FullId).toBe(`${String(a.AlertId)}:${String(a.IocUniqueId)}`);
      expect(a.Sha1).toMatch(/^[0-9a-f]{40}$/);
      expect(a.Md5).toMatch(/^[0-9a-f]{32}$/);
      if (typeof a.Sha256 === 'string' && a.Sha256) expect(a.Sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(a.DeviceID).toMatch(/^[0-9a-f]{40}$/);
      expect(a.LastProcessedTimeUtc).toBe('2026-03-01T11:22:33.4455667Z');
      expect(a.AlertTime).toMatch(/^2026-03-01T\d\d:\d\d:\d\d(\.\d{1,7})?Z$/);
      expect(String(a.AlertTime) < String(a.LastProcessedTimeUtc)).toBe(true);
      expect(a.LinkToWDATP).toBe(`https://securitycenter.windows.com/alert/${String(a.AlertId)}`);
      expect(a.IncidentLinkToMTP).toBe(`https://security.microsoft.com/incidents/byalert?alertId=${String(a.AlertId)}&source=SIEM`);
      expect(['Informational', 'Low', 'Medium', 'High']).toContain(a.Severity);
    }
  });
});

describe("Microsoft's published examples", () => {
  it('reproduces the 2020 example exactly as the fixture has it', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/siem-api-alerts-msdocs.json', import.meta.url), 'utf8')) as SiemAlert[];
    expect(JSON.stringify(MSDOCS_EXAMPLE_2020)).toBe(JSON.stringify(fixture[0]));
  });

  it('reproduces the 2017 example with its nulls, typo and Windows Defender ATP source', () => {
    expect(Object.keys(MSDOCS_EXAMPLE_2017)).toHaveLength(33);
    expect(MSDOCS_EXAMPLE_2017).toMatchObject({
      AlertId: '636207535742330111_-1114309685',
      IoaDefinitiondId: '7f1c3609-a3ff-40e2-995b-c01770161d68',
      Source: 'Windows Defender ATP',
      Actor: null,
      LastProcessedTimeUtc: '2017-01-23T11:33:45.0760449Z',
    });
    expect('IoaDefinitionId' in MSDOCS_EXAMPLE_2017).toBe(false);
  });

  it('rebases only LastProcessedTimeUtc, keeping the original fraction digits', () => {
    const rebased = rebaseExample(MSDOCS_EXAMPLE_2017, T);
    expect(rebased.LastProcessedTimeUtc).toBe('2026-03-01T11:22:33.0760449Z');
    expect({ ...rebased, LastProcessedTimeUtc: MSDOCS_EXAMPLE_2017.LastProcessedTimeUtc }).toEqual(MSDOCS_EXAMPLE_2017);
    expect(Object.keys(rebased)).toEqual(Object.keys(MSDOCS_EXAMPLE_2017));
  });
});
