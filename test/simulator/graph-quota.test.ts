/**
 * Graph's quota on alerts_v2 as the simulator enforces it: 150 requests a minute per app and tenant
 * by default (https://learn.microsoft.com/graph/throttling-limits, "Security detections and
 * incidents"), answered beyond it with 429, `Retry-After` and Graph's error body
 * (https://learn.microsoft.com/graph/throttling).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/context/command-context.js';
import { simulateCommand } from '../../src/commands/simulate.js';
import { UsageError } from '../../src/errors.js';
import { SIMULATOR_CREDENTIALS, fleetTenantId } from '../../simulator/credentials.js';
import { startSimulator } from '../../simulator/server.js';
import { simPerTest, v2Form, type SimClient } from '../helpers/sim-client.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const GRAPH = 'https://graph.microsoft.com';
const MDE = 'https://api.securitycenter.microsoft.com';
const ALERTS = '/v1.0/security/alerts_v2?$top=1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sim = simPerTest({ https: false, alerts: 3 });

async function tokenIn(s: SimClient, resource: string, tenant: string = SIMULATOR_CREDENTIALS.tenantId): Promise<string> {
  const reply = await s.postForm(`/${tenant}/oauth2/v2.0/token`, v2Form(s.sim, { scope: `${resource}/.default` }));
  expect(reply.status, reply.text).toBe(200);
  return reply.json<{ access_token: string }>().access_token;
}

async function statuses(s: SimClient, path: string, token: string, n: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await s.get(path, token)).status);
  return seen;
}

describe('Graph alerts_v2 quota', () => {
  it('admits 150 requests a minute by default, the documented limit, and answers the 151st 429', async () => {
    const s = await sim({ now: () => NOW });
    const token = await tokenIn(s, GRAPH);
    const seen = await statuses(s, ALERTS, token, 151);
    expect(seen.slice(0, 150).every((status) => status === 200)).toBe(true);
    expect(seen[150]).toBe(429);
  });

  it("answers 429 with Retry-After and Graph's error body once more than graphCallsPerMinute came in a sliding minute", async () => {
    let clock = NOW;
    const s = await sim({ now: () => clock, graphCallsPerMinute: 3 });
    const token = await tokenIn(s, GRAPH);
    expect(await statuses(s, ALERTS, token, 3)).toEqual([200, 200, 200]);
    clock = new Date(NOW.getTime() + 20_000);
    const refused = await s.get(ALERTS, token, { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('40');
    expect(refused.json()).toEqual({
      error: {
        code: 'TooManyRequests',
        message: 'Please retry again later.',
        innerError: {
          date: '2026-03-01T12:00:20',
          'request-id': expect.stringMatching(UUID),
          'client-request-id': 'c0ffee00-0000-4000-8000-000000000001',
        },
      },
    });
    // A refused request does not count: the minute frees when the first three leave it.
    clock = new Date(NOW.getTime() + 60_000);
    expect(await statuses(s, ALERTS, token, 3)).toEqual([200, 200, 200]);
    expect(s.sim.stats.of('alerts').map((r) => r.status)).toEqual([200, 200, 200, 429, 200, 200, 200]);
  });

  it('takes graphMinuteSeconds as the length of its minute, for tests that cannot wait one', async () => {
    let clock = NOW;
    const s = await sim({ now: () => clock, graphCallsPerMinute: 2, graphMinuteSeconds: 5 });
    const token = await tokenIn(s, GRAPH);
    expect(await statuses(s, ALERTS, token, 2)).toEqual([200, 200]);
    const refused = await s.get(ALERTS, token);
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '5']);
    clock = new Date(NOW.getTime() + 5_000);
    expect(await statuses(s, ALERTS, token, 3)).toEqual([200, 200, 429]);
  });

  it('keeps a quota per tenant, apart from the Defender for Endpoint one', async () => {
    const s = await sim({ now: () => NOW, tenants: 1, graphCallsPerMinute: 2, mdeCallsPerMinute: 2 });
    const graph = await tokenIn(s, GRAPH);
    expect(await statuses(s, ALERTS, graph, 3)).toEqual([200, 200, 429]);
    // The other tenant's Graph quota, and this tenant's Defender for Endpoint one, are whole.
    expect(await statuses(s, ALERTS, await tokenIn(s, GRAPH, fleetTenantId(1)), 3)).toEqual([200, 200, 429]);
    expect(await statuses(s, '/api/alerts?$top=1', await tokenIn(s, MDE), 3)).toEqual([200, 200, 429]);
  });

  it("charges quotaUsed (another client's Defender for Endpoint calls) to Defender for Endpoint alone", async () => {
    const s = await sim({ now: () => NOW, mdeCallsPerMinute: 3, graphCallsPerMinute: 3, quotaUsed: 3 });
    expect(await statuses(s, '/api/alerts?$top=1', await tokenIn(s, MDE), 1)).toEqual([429]);
    expect(await statuses(s, ALERTS, await tokenIn(s, GRAPH), 3)).toEqual([200, 200, 200]);
  });

  it('refuses a limit or a minute under 1', async () => {
    await expect(startSimulator({ graphCallsPerMinute: 0 })).rejects.toThrow(/graphCallsPerMinute must be a whole number >= 1/);
    await expect(startSimulator({ graphMinuteSeconds: 0.5 })).rejects.toThrow(/graphMinuteSeconds must be a whole number >= 1/);
  });
});

describe('simulate --graph-calls-per-minute --graph-minute', () => {
  const io = (stdout: PassThrough, signal: AbortSignal) => ({ stdout, signal }) as unknown as CommandIo;

  it('passes both flags to the simulator', async () => {
    const stdout = new PassThrough();
    const controller = new AbortController();
    const firstLine = new Promise<string>((resolve) => stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    const running = simulateCommand({ http: true, alerts: '3', graphCallsPerMinute: '2', graphMinute: '7' }, io(stdout, controller.signal));
    try {
      const line = JSON.parse(await Promise.race([firstLine, running.then(() => '{}')])) as Record<string, string>;
      const url = String(line['url']);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: String(line['clientId']),
        client_secret: String(line['clientSecret']),
        scope: `${GRAPH}/.default`,
      });
      const tokenReply = await fetch(`${url}/${String(line['tenantId'])}/oauth2/v2.0/token`, { method: 'POST', body: form });
      const { access_token: token } = (await tokenReply.json()) as { access_token: string };
      const answers: [number, string | null][] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await fetch(`${url}${ALERTS}`, { headers: { authorization: `Bearer ${token}` } });
        await reply.arrayBuffer();
        answers.push([reply.status, reply.headers.get('retry-after')]);
      }
      expect(answers.slice(0, 2)).toEqual([
        [200, null],
        [200, null],
      ]);
      expect(answers[2]?.[0]).toBe(429);
      // The window is 7 s, so the wait asked for is at most that.
      expect(Number(answers[2]?.[1])).toBeGreaterThanOrEqual(1);
      expect(Number(answers[2]?.[1])).toBeLessThanOrEqual(7);
    } finally {
      controller.abort();
      await running;
    }
  });

  it.each([
    [{ graphCallsPerMinute: '0' }, /^--graph-calls-per-minute: expected a whole number, 1 or more, got "0"/],
    [{ graphMinute: '1.5' }, /^--graph-minute: expected seconds, 1 or more, got "1.5"/],
  ])('simulate %j: a usage error naming the flag', async (opts, message) => {
    const error = await simulateCommand({ http: true, ...opts }, io(new PassThrough(), new AbortController().signal)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});
