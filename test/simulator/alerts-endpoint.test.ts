import { describe, expect, it } from 'vitest';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { simPerTest, type SimClient } from '../helpers/sim-client.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const sim = simPerTest({ now: () => NOW });

const at = (iso: string, id: string): SiemAlert => ({ AlertId: id, LastProcessedTimeUtc: iso });

describe('GET /api/alerts: authentication', () => {
  it('answers 401 with a JSON body without a token, with an unknown token, and with an expired one', async () => {
    let clock = NOW;
    const s = await sim({ now: () => clock, tokenLifetimeSeconds: 60 });
    const noToken = await s.get('/api/alerts');
    expect(noToken.status).toBe(401);
    expect(noToken.json()).toMatchObject({ error: { code: 'Unauthorized', message: expect.stringContaining('no Bearer token') } });
    expect(noToken.headers['www-authenticate']).toContain('Bearer');

    expect((await s.get('/api/alerts', 'sim.forged')).status).toBe(401);

    const token = await s.token();
    expect((await s.get('/api/alerts', token)).status).toBe(200);
    clock = new Date(NOW.getTime() + 60_000);
    const expired = await s.get('/api/alerts', token);
    expect(expired.status).toBe(401);
    expect(expired.text).toContain('expired');
  });

  it('accepts v2 tokens for the graph.windows.net resource as well', async () => {
    const s = await sim();
    const reply = await s.postForm(`/${s.sim.credentials.tenantId}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: s.sim.credentials.clientId,
      client_secret: s.sim.credentials.clientSecret,
      scope: 'https://graph.windows.net/.default',
    });
    const { access_token } = reply.json<{ access_token: string }>();
    expect((await s.get('/api/alerts', access_token)).status).toBe(200);
  });
});

describe('GET /api/alerts: documented query semantics', () => {
  async function seeded(): Promise<{ s: SimClient; token: string }> {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([
      at('2026-03-01T09:00:00.0000000Z', 'three-hours-ago'),
      at('2026-03-01T10:00:00.0000000Z', 'two-hours-ago'),
      at('2026-03-01T11:00:00.0000001Z', 'a'),
      at('2026-03-01T11:00:00.0000001Z', 'b'),
      at('2026-03-01T11:50:00.1234567Z', 'ten-minutes-ago'),
      at('2026-03-01T12:30:00.0000000Z', 'in-the-future'),
    ]);
    return { s, token: await s.token() };
  }
  const ids = (text: string): string[] => (JSON.parse(text) as SiemAlert[]).map((a) => String(a.AlertId));

  it('defaults to the last two hours before now, ascending, bounds inclusive', async () => {
    const { s, token } = await seeded();
    const reply = await s.get('/api/alerts', token);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(ids(reply.text)).toEqual(['two-hours-ago', 'a', 'b', 'ten-minutes-ago']);
  });

  it('filters by sinceTimeUtc and untilTimeUtc exactly, to the 100-ns tick', async () => {
    const { s, token } = await seeded();
    const q = (since: string, until: string): string =>
      `/api/alerts?sinceTimeUtc=${encodeURIComponent(since)}&untilTimeUtc=${encodeURIComponent(until)}`;
    expect(ids((await s.get(q('2026-03-01T11:00:00.0000001Z', '2026-03-01T11:50:00.1234567Z'), token)).text)).toEqual([
      'a',
      'b',
      'ten-minutes-ago',
    ]);
    expect(ids((await s.get(q('2026-03-01T11:00:00.0000002', '2026-03-01T11:50:00.1234566'), token)).text)).toEqual([]);
    // 0–7 fraction digits, with or without Z, and the earliest doc's quoted form with a space.
    expect(ids((await s.get(q('2026-03-01T08:00:00', '2026-03-01T10:00:00.000Z'), token)).text)).toEqual([
      'three-hours-ago',
      'two-hours-ago',
    ]);
    expect(ids((await s.get(q('"2026-03-01 11:00:00"', '2026-03-01T11:00:00.0000001'), token)).text)).toEqual(['a', 'b']);
  });

  it('ago is a lower bound relative to now (ISO-8601 duration)', async () => {
    const { s, token } = await seeded();
    expect(ids((await s.get('/api/alerts?ago=PT10M', token)).text)).toEqual(['ten-minutes-ago']);
    expect(ids((await s.get('/api/alerts?ago=PT3H', token)).text)).toEqual([
      'three-hours-ago',
      'two-hours-ago',
      'a',
      'b',
      'ten-minutes-ago',
    ]);
  });

  it('limit keeps the MOST RECENT n of the range, still ascending', async () => {
    const { s, token } = await seeded();
    expect(ids((await s.get('/api/alerts?limit=2&sinceTimeUtc=2026-01-01', token)).text)).toEqual(['b', 'ten-minutes-ago']);
    expect(ids((await s.get('/api/alerts?limit=0', token)).text)).toEqual([]);
    expect((await s.get('/api/alerts?limit=0', token)).text).toBe('[]\n');
  });

  it('filters by machinegroups (repeatable) and machine tags', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([
      { ...at('2026-03-01T11:00:00.0000000Z', 'uk'), MachineGroup: 'UKMachines', DeviceCreatedMachineTags: 'VIP' },
      { ...at('2026-03-01T11:00:01.0000000Z', 'fr'), MachineGroup: 'FranceMachines', CloudCreatedMachineTags: 'Finance, Laptops' },
      { ...at('2026-03-01T11:00:02.0000000Z', 'none'), MachineGroup: '' },
    ]);
    const token = await s.token();
    expect(ids((await s.get('/api/alerts?machinegroups=UKMachines&machinegroups=FranceMachines', token)).text)).toEqual(['uk', 'fr']);
    expect(ids((await s.get('/api/alerts?DeviceCreatedMachineTags=VIP', token)).text)).toEqual(['uk']);
    expect(ids((await s.get('/api/alerts?CloudCreatedMachineTags=Laptops', token)).text)).toEqual(['fr']);
    expect(ids((await s.get('/api/alerts?machinegroups=UKMachines&machinegroups=FranceMachines&limit=1', token)).text)).toEqual(['fr']);
  });

  it.each([
    ['sinceTimeUtc=yesterday', 'sinceTimeUtc'],
    ['untilTimeUtc=2026-02-30T00:00:00Z', 'untilTimeUtc'],
    ['sinceTimeUtc=2026-03-01T00:00:00.12345678Z', 'sinceTimeUtc'],
    ['ago=10m', 'ago'],
    ['ago=P1M', 'ago'],
    ['limit=-1', 'limit'],
    ['limit=ten', 'limit'],
    ['ago=PT1H&sinceTimeUtc=2026-03-01T00:00:00Z', 'either'],
  ])('answers 400 for %s', async (query, word) => {
    const s = await sim({ alerts: 0 });
    const reply = await s.get(`/api/alerts?${query}`, await s.token());
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ error: { code: 'BadRequest', message: expect.stringContaining(word) } });
  });

  it('serves an updated alert again with its new LastProcessedTimeUtc', async () => {
    let clock = NOW;
    const s = await sim({ alerts: 0, now: () => clock });
    s.sim.store.add([at('2026-03-01T11:00:00.0000000Z', 'x'), at('2026-03-01T11:30:00.0000000Z', 'y')]);
    const token = await s.token();
    clock = new Date('2026-03-01T12:05:00Z');
    const updated = await s.postJson('/_sim/update', { alertId: 'x' });
    expect(updated.json()).toEqual({ updated: 1 });
    const alerts = JSON.parse((await s.get('/api/alerts?ago=PT10M', token)).text) as SiemAlert[];
    expect(alerts).toEqual([{ AlertId: 'x', LastProcessedTimeUtc: '2026-03-01T12:05:00.0000000Z' }]);
  });
});

describe('GET /api/alerts: the answer', () => {
  it('streams 20 000 alerts as one valid JSON array, one alert per line, in order', async () => {
    const s = await sim({ alerts: 20_000, includeExamples: false, windowHours: 1 });
    const reply = await s.get('/api/alerts', await s.token());
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBeUndefined(); // streamed, chunked
    const lines = reply.text.split('\n');
    expect(lines[0]).toBe('[');
    expect(lines.at(-2)).toBe(']');
    const alerts = JSON.parse(reply.text) as SiemAlert[];
    expect(alerts).toHaveLength(20_000);
    const times = alerts.map((a) => String(a.LastProcessedTimeUtc));
    expect(times.every((t, i) => i === 0 || (times[i - 1] as string) <= t)).toBe(true);
    expect(new Set(alerts.map((a) => a.FullId)).size).toBe(20_000);
  }, 60_000);

  it("serves Microsoft's two published examples among the generated alerts", async () => {
    const s = await sim({ alerts: 20 });
    const alerts = JSON.parse((await s.get('/api/alerts', await s.token())).text) as SiemAlert[];
    expect(alerts.map((a) => a.AlertId)).toEqual(
      expect.arrayContaining(['636207535742330111_-1114309685', 'da637370718981685665_16349121']),
    );
  });
});
