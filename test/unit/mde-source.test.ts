/**
 * MdeSource against answers no well-behaved service gives, through undici's MockAgent passed as
 * the dispatcher: a range that cannot be proven complete must fail (exit 5), never loop forever
 * and never end as if it were complete.
 */
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { MdeSource } from '../../src/api/mde.js';
import type { ODataContext } from '../../src/api/odata-source.js';
import { ThrottleBudget } from '../../src/http/throttle.js';
import type { CachedCredential } from '../../src/auth/token-cache.js';
import { createLogger } from '../../src/log.js';

const ORIGIN = 'https://api.example.test';

function alert(id: string, lastUpdateTime: string): Record<string, unknown> {
  return { id, incidentId: 1, severity: 'High', status: 'New', title: 't', lastUpdateTime, alertCreationTime: lastUpdateTime };
}

/**
 * A source whose every request is answered by `answer(url)` (an alert list, or a status with
 * headers); the URLs asked for are recorded. `extra` adds to the source's context.
 */
function source(
  answer: (url: URL) => Record<string, unknown>[] | { status: number; headers: Record<string, string> },
  pageSize: number,
  extra: Partial<ODataContext> = {},
) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const asked: URL[] = [];
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: 'GET' })
    .reply((opts) => {
      const url = new URL(String(opts.path), ORIGIN);
      asked.push(url);
      const answered = answer(url);
      if (!Array.isArray(answered)) return { statusCode: answered.status, data: '{}', responseOptions: { headers: answered.headers } };
      return { statusCode: 200, data: JSON.stringify({ '@odata.context': `${ORIGIN}/api/$metadata#Alerts`, value: answered }) };
    })
    .persist();
  const credential = {
    getToken: () => Promise.resolve({ token: 'test-token', expiresOnMs: Date.now() + 3_600_000 }),
  } as unknown as CachedCredential;
  const mde = new MdeSource(
    { baseUrl: new URL(ORIGIN), pageSize, filterOn: 'lastUpdateTime', expandEvidence: false },
    {
      credential,
      dispatcher: agent,
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      timeoutMs: 5_000,
      log: createLogger('silent'),
      onInvalid: () => {},
      ...extra,
    },
  );
  return { mde, asked, close: () => agent.close() };
}

async function drain(mde: MdeSource, since: string, until: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const a of mde.fetch({ since: new Date(since), until: new Date(until), machineGroups: [] })) ids.push(a.id);
  return ids;
}

describe('MdeSource: answers that cannot prove a range complete', () => {
  it('a service that ignores $filter (the same full page for every range) fails instead of splitting forever', async () => {
    const page = [alert('a', '2026-03-01T10:10:00Z'), alert('b', '2026-03-01T10:20:00Z'), alert('c', '2026-03-01T10:50:00Z')];
    const { mde, asked, close } = source(() => page, 3);
    await expect(drain(mde, '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z')).rejects.toMatchObject({ code: 'FILTER_IGNORED', exitCode: 5 });
    expect(asked.length).toBeLessThanOrEqual(3);
    await close();
  });

  it('$skip inside one millisecond: the same full page for every $skip fails instead of asking forever', async () => {
    const t = '2026-03-01T10:00:00.0005Z';
    const { mde, asked, close } = source(() => [alert('a', t), alert('b', t)], 2);
    await expect(drain(mde, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z')).rejects.toMatchObject({
      code: 'PAGING_UNPROVEN',
      exitCode: 5,
    });
    expect(asked.map((u) => u.searchParams.get('$skip'))).toEqual([null, null, '2']);
    await close();
  });

  it('$skip pages that overlap (the order changed between requests) fail: an alert may be missing', async () => {
    const t = '2026-03-01T10:00:00.0005Z';
    // Five alerts share the instant; the second $skip page repeats one and so never shows "e".
    const pages: Record<string, Record<string, unknown>[]> = {
      none: [alert('a', t), alert('b', t)],
      '2': [alert('b', t), alert('c', t)],
      '4': [alert('d', t)],
    };
    const { mde, close } = source((url) => pages[url.searchParams.get('$skip') ?? 'none'] ?? [], 2);
    await expect(drain(mde, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z')).rejects.toMatchObject({ code: 'PAGING_UNPROVEN' });
    await close();
  });

  it('$skip pages that partition the instant prove it: each alert once', async () => {
    const t = '2026-03-01T10:00:00.0005Z';
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => alert(id, t));
    const { mde, close } = source((url) => all.slice(Number(url.searchParams.get('$skip') ?? 0)).slice(0, 2), 2);
    expect(await drain(mde, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z')).toEqual(['a', 'b', 'c', 'd', 'e']);
    await close();
  });

  it('splits at the median of what a full page returned, and each piece is read until it comes back short', async () => {
    const all = Array.from({ length: 9 }, (_, i) => alert(`x${i}`, `2026-03-01T10:0${i}:00Z`));
    const { mde, asked, close } = source((url) => {
      const filter = url.searchParams.get('$filter') ?? '';
      const [, ge = '', le = ''] = /ge (\S+) and lastUpdateTime le (\S+)/.exec(filter) ?? [];
      // Newest first, as an API without a documented order might answer.
      return all
        .filter((a) => String(a['lastUpdateTime']) >= ge.replace('.000', '') && String(a['lastUpdateTime']) <= le.replace('.000', ''))
        .reverse()
        .slice(0, 4);
    }, 4);
    const ids = await drain(mde, '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z');
    expect([...ids].sort()).toEqual(all.map((a) => String(a['id'])));
    expect(new Set(ids).size).toBe(ids.length);
    expect(asked.length).toBeGreaterThan(1);
    await close();
  });
});

describe('MdeSource: a throttled page', () => {
  it("waits as asked and tells the pacer, which holds every request until the server's time", async () => {
    let calls = 0;
    const held: number[] = [];
    const waits: number[] = [];
    const pacer = { wait: () => Promise.resolve(void waits.push(Date.now())), hold: (until: number) => void held.push(until) };
    const { mde, close } = source(
      () => (++calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : [alert('a', '2026-03-01T10:10:00Z')]),
      10,
      { pacer, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, throttle: new ThrottleBudget(60_000) } },
    );
    const started = Date.now();
    expect(await drain(mde, '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z')).toEqual(['a']);
    expect(calls).toBe(2);
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThanOrEqual(started + 1_000);
    expect(waits).toHaveLength(2); // the pacer is asked before each request, the retried one too
    await close();
  });
});
