import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { simPerTest, v1Form, type SimClient } from '../helpers/sim-client.js';

const start = simPerTest({ alerts: 30 });

async function sim(opts: Parameters<typeof start>[0] = {}): Promise<{ s: SimClient; token: string }> {
  const s = await start(opts);
  return { s, token: await s.token() };
}

describe('scripted faults', () => {
  it('answers the next alert request with the given status, Retry-After and body, then recovers', async () => {
    const { s, token } = await sim();
    s.sim.faults.push({ status: 503, retryAfter: '7', body: '{"error":"busy"}' });
    const failed = await s.get('/api/alerts', token);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('7');
    expect(failed.text).toBe('{"error":"busy"}');
    expect((await s.get('/api/alerts', token)).status).toBe(200);
  });

  it('applies a fault `times` times, FIFO, per route', async () => {
    const { s, token } = await sim();
    s.sim.faults.push({ status: 500, times: 2 }, { route: 'token', status: 503 }, { status: 502 });
    expect((await s.get('/api/alerts', token)).status).toBe(500);
    expect((await s.postForm(`/${s.sim.credentials.tenantId}/oauth2/token`, v1Form(s.sim))).status).toBe(503);
    expect((await s.get('/api/alerts', token)).status).toBe(500);
    expect((await s.get('/api/alerts', token)).status).toBe(502);
    expect((await s.get('/api/alerts', token)).status).toBe(200);
    expect(s.sim.faults.pending).toEqual([]);
  });

  it('serves a body that is not JSON with status 200 (for data-error tests)', async () => {
    const { s, token } = await sim();
    s.sim.faults.push({ body: '<html>maintenance</html>', contentType: 'text/html' });
    const reply = await s.get('/api/alerts', token);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html');
    expect(reply.text).toBe('<html>maintenance</html>');
  });

  it('cuts the answer after n complete alerts and drops the connection', async () => {
    const { s, token } = await sim({ alerts: 500 });
    s.sim.faults.push({ cutAfterAlerts: 3 });
    const res = await request(`${s.sim.url}/api/alerts?sinceTimeUtc=2000-01-01`, {
      dispatcher: s.dispatcher,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    let received = '';
    await expect(
      (async () => {
        for await (const chunk of res.body) received += String(chunk);
      })(),
    ).rejects.toThrow();
    const lines = received.split('\n');
    expect(lines[0]).toBe('[');
    expect(lines.slice(1).filter((l) => l.startsWith('{'))).toHaveLength(3);
    expect(received.trimEnd().endsWith(']')).toBe(false);
    expect(() => JSON.parse(received) as unknown).toThrow();
  });

  it.each([true, false])('resets the connection (TCP RST) before any header, https=%s', async (https) => {
    const { s, token } = await sim({ https });
    s.sim.faults.push({ resetBeforeHeaders: true });
    await expect(s.get('/api/alerts', token)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await s.get('/api/alerts', token)).status).toBe(200);
    expect(s.sim.stats.of('alerts')[0]?.status).toBeUndefined();
  });

  it('delays the answer by delayMs: a later request overtakes the delayed one', async () => {
    const { s, token } = await sim();
    s.sim.faults.push({ delayMs: 2_000 });
    const order: string[] = [];
    const delayed = s.get('/api/alerts', token).then((r) => order.push(`delayed ${r.status}`));
    while (s.sim.stats.count('alerts') < 1) await new Promise((r) => setTimeout(r, 10));
    await s.get('/api/alerts', token).then((r) => order.push(`prompt ${r.status}`));
    await delayed;
    expect(order).toEqual(['prompt 200', 'delayed 200']);
  });

  it('can be scripted over HTTP: POST /_sim/faults (one or a list), GET and DELETE', async () => {
    const { s, token } = await sim();
    const queued = await s.postJson('/_sim/faults', [
      { status: 429, retryAfter: '2' },
      { route: 'token', status: 500 },
    ]);
    expect(queued.json()).toEqual({ queued: 2, pending: 2 });
    expect((await s.get('/_sim/faults')).json()).toHaveLength(2);
    const throttled = await s.get('/api/alerts', token);
    expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '2']);
    await s.postJson('/_sim/faults', { status: 500 });
    expect((await s.get('/_sim/faults', undefined)).json()).toHaveLength(2);
    const cleared = await request(`${s.sim.url}/_sim/faults`, { method: 'DELETE', dispatcher: s.dispatcher });
    expect(await cleared.body.json()).toEqual({ pending: 0 });
    expect((await s.get('/api/alerts', token)).status).toBe(200);
  });

  it('refuses an invalid fault with 400 and says why', async () => {
    const { s } = await sim();
    const reply = await s.postJson('/_sim/faults', { status: 'soon', colour: 'red' });
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('status');
    expect(s.sim.faults.pending).toEqual([]);
  });
});

describe('configured failure modes', () => {
  it('throttle: every Nth alert request is answered 429 with Retry-After: 1', async () => {
    const { s, token } = await sim({ throttle: 3 });
    const statuses: number[] = [];
    const retryAfter: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await s.get('/api/alerts', token);
      statuses.push(r.status);
      if (r.status === 429) retryAfter.push(r.headers['retry-after']);
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    expect(retryAfter).toEqual(['1', '1']);
  });

  it('failRate: about that fraction of alert requests fail with 500, reproducibly per seed', async () => {
    const run = async (): Promise<number[]> => {
      const { s, token } = await sim({ failRate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await s.get('/api/alerts?limit=1', token)).status);
      await s.close();
      return statuses;
    };
    const first = await run();
    const failures = first.filter((x) => x === 500).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
    expect(first.every((x) => x === 200 || x === 500)).toBe(true);
    expect(await run()).toEqual(first);
  });
});

describe('stats', () => {
  it('counts requests per route and records method, path, query and headers', async () => {
    const { s, token } = await sim();
    await s.get('/api/alerts?limit=5&machinegroups=A&machinegroups=B', token, { 'x-test': 'yes' });
    await s.get('/nowhere');
    const { stats } = s.sim;
    expect(stats.count('token')).toBe(1);
    expect(stats.count('alerts')).toBe(1);
    expect(stats.count('unknown')).toBe(1);
    const [tokenReq, alertsReq] = stats.requests;
    expect(tokenReq).toMatchObject({ seq: 1, route: 'token', method: 'POST', status: 200 });
    expect(tokenReq?.headers.authorization).toBeUndefined();
    expect(alertsReq).toMatchObject({
      route: 'alerts',
      method: 'GET',
      path: '/api/alerts',
      query: { limit: ['5'], machinegroups: ['A', 'B'] },
      status: 200,
    });
    expect(alertsReq?.headers.authorization).toBe(`Bearer ${token}`);
    expect(alertsReq?.headers['x-test']).toBe('yes');
  });

  it('serves the same stats as JSON at GET /_sim/stats, and records the fault a request met', async () => {
    const { s, token } = await sim();
    s.sim.faults.push({ status: 500 });
    await s.get('/api/alerts', token);
    const body = (await s.get('/_sim/stats')).json<{ counts: Record<string, number>; requests: { fault?: unknown; status?: number }[] }>();
    expect(body.counts).toMatchObject({ token: 1, alerts: 1, sim: 1 });
    expect(body.requests[1]).toMatchObject({ status: 500, fault: { status: 500 } });
  });

  it('adds alerts over HTTP with POST /_sim/alerts', async () => {
    const { s, token } = await sim({ alerts: 0 });
    const alert: SiemAlert = { AlertId: 'posted', LastProcessedTimeUtc: new Date(Date.now() - 60_000).toISOString() };
    expect((await s.postJson('/_sim/alerts', [alert])).json()).toEqual({ added: 1 });
    expect((await s.get('/api/alerts', token)).json()).toEqual([alert]);
    expect((await s.postJson('/_sim/alerts', [{ AlertId: 'no-time' }])).status).toBe(400);
  });
});
