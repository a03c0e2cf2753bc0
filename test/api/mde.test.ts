/**
 * MdeSource against answers no well-behaved service gives, through undici's MockAgent passed as
 * the dispatcher: a range that cannot be proven complete must fail (exit 5), never loop forever
 * and never end as if it were complete. And against the simulator over loopback: a range that
 * ends exactly at a page boundary costs one request more, not a split.
 */
import { describe, expect, it } from 'vitest';
import { MdeSource } from '../../src/api/mde.js';
import type { ODataContext } from '../../src/api/odata-source.js';
import { ThrottleBudget } from '../../src/http/throttle.js';
import type { SimulatorOptions } from '../../simulator/server.js';
import { fixedCredential } from '../helpers/fixed-credential.js';
import { recordingLogger, WARN } from '../helpers/logger.js';
import { mockAgentPerTest, sourceContext } from '../helpers/mock-agent.js';
import { fastFailRetry } from '../helpers/retry.js';
import { simPerTest, v1Form } from '../helpers/sim-client.js';

const ORIGIN = 'https://api.example.test';

function alert(id: string, lastUpdateTime: string): Record<string, unknown> {
  return { id, incidentId: 1, severity: 'High', status: 'New', title: 't', lastUpdateTime, alertCreationTime: lastUpdateTime };
}

const mockOrigin = mockAgentPerTest();

/**
 * A source whose every request is answered by `answer(url)` (an alert list, or a status with
 * headers); the URLs asked for are recorded. `extra` adds to the source's context.
 */
function source(
  answer: (url: URL) => Record<string, unknown>[] | { status: number; headers: Record<string, string> },
  pageSize: number,
  extra: Partial<ODataContext> = {},
) {
  const { dispatcher, asked } = mockOrigin(ORIGIN, (url) => {
    const answered = answer(url);
    if (!Array.isArray(answered)) return { status: answered.status, body: '{}', headers: answered.headers };
    return { status: 200, body: JSON.stringify({ '@odata.context': `${ORIGIN}/api/$metadata#Alerts`, value: answered }) };
  });
  const mde = new MdeSource(
    { baseUrl: new URL(ORIGIN), pageSize, filterOn: 'lastUpdateTime', expandEvidence: false },
    sourceContext(dispatcher, extra),
  );
  return { mde, asked };
}

async function drain(mde: MdeSource, since: string, until: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const a of mde.fetch({ since: new Date(since), until: new Date(until), machineGroups: [] })) ids.push(a.id);
  return ids;
}

describe('MdeSource: answers that cannot prove a range complete', () => {
  it('a service that ignores $filter (the same full page for every range) fails instead of splitting forever', async () => {
    const page = [alert('a', '2026-03-01T10:10:00Z'), alert('b', '2026-03-01T10:20:00Z'), alert('c', '2026-03-01T10:50:00Z')];
    const { mde, asked } = source(() => page, 3);
    await expect(drain(mde, '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z')).rejects.toMatchObject({ code: 'FILTER_IGNORED', exitCode: 5 });
    expect(asked.length).toBeLessThanOrEqual(3);
  });

  it('$skip inside one millisecond: the same full page for every $skip fails instead of asking forever', async () => {
    const t = '2026-03-01T10:00:00.0005Z';
    const { mde, asked } = source(() => [alert('a', t), alert('b', t)], 2);
    await expect(drain(mde, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z')).rejects.toMatchObject({
      code: 'PAGING_UNPROVEN',
      exitCode: 5,
    });
    // The end proof ($skip=2, $top=1) finds more; the instant is then read from its start.
    expect(asked.map((u) => u.searchParams.get('$skip'))).toEqual([null, '2', null, '2']);
  });

  it('$skip pages that overlap (the order changed between requests) fail: an alert may be missing', async () => {
    const t = '2026-03-01T10:00:00.0005Z';
    // Five alerts share the instant; the second $skip page repeats one and so never shows "e".
    const pages: Record<string, Record<string, unknown>[]> = {
      none: [alert('a', t), alert('b', t)],
      '2': [alert('b', t), alert('c', t)],
      '4': [alert('d', t)],
    };
    const { mde } = source((url) => pages[url.searchParams.get('$skip') ?? 'none'] ?? [], 2);
    await expect(drain(mde, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z')).rejects.toMatchObject({ code: 'PAGING_UNPROVEN' });
  });

  it('$skip pages that partition the instant prove it: each alert once', async () => {
    const t = '2026-03-01T10:00:00.0005Z';
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => alert(id, t));
    const { mde } = source((url) => all.slice(Number(url.searchParams.get('$skip') ?? 0)).slice(0, 2), 2);
    expect(await drain(mde, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('splits at the median of what a full page returned, and each piece is read until it comes back short', async () => {
    const all = Array.from({ length: 9 }, (_, i) => alert(`x${i}`, `2026-03-01T10:0${i}:00Z`));
    const { mde, asked } = source((url) => {
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
  });
});

describe('MdeSource: a throttled page', () => {
  it("waits as asked and tells the pacer, which holds every request until the server's time", async () => {
    let calls = 0;
    const held: number[] = [];
    const waits: number[] = [];
    const pacer = { wait: () => Promise.resolve(void waits.push(Date.now())), hold: (until: number) => void held.push(until) };
    const { mde } = source(
      () => (++calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : [alert('a', '2026-03-01T10:10:00Z')]),
      10,
      { pacer, retry: fastFailRetry({ throttle: new ThrottleBudget(60_000) }) },
    );
    const started = Date.now();
    expect(await drain(mde, '2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z')).toEqual(['a']);
    expect(calls).toBe(2);
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThanOrEqual(started + 1_000);
    expect(waits).toHaveLength(2); // the pacer is asked before each request, the retried one too
  });
});

function proofsOf(asked: readonly URL[]): URL[] {
  return asked.filter((u) => u.searchParams.get('$top') === '1');
}

describe('MdeSource: a full page without a next link is given one end proof before any split', () => {
  const range = { since: '2026-03-01T10:00:00Z', until: '2026-03-01T11:00:00Z' };
  /** Answers each request from `all` by its range, oldest first, honouring `$skip` and `$top`. */
  const filtered = (all: Record<string, unknown>[], url: URL) => {
    const filter = url.searchParams.get('$filter') ?? '';
    const [, ge = '', le = ''] = /ge (\S+) and lastUpdateTime le (\S+)/.exec(filter) ?? [];
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    const top = Number(url.searchParams.get('$top'));
    return all
      .filter((a) => String(a['lastUpdateTime']) >= ge.replace('.000', '') && String(a['lastUpdateTime']) <= le.replace('.000', ''))
      .slice(skip, skip + top);
  };
  const eight = Array.from({ length: 8 }, (_, i) => alert(`x${i}`, `2026-03-01T10:0${i}:00Z`));

  it('a proof answered 400 (a service refusing $skip there) falls back to the split, with the warning of old', async () => {
    const { log, lines } = recordingLogger();
    const { mde, asked } = source(
      (url) => (url.searchParams.get('$top') === '1' ? { status: 400, headers: {} } : filtered(eight, url)),
      4,
      { log },
    );
    const ids = await drain(mde, range.since, range.until);
    expect([...ids].sort()).toEqual(eight.map((a) => String(a['id'])));
    expect(proofsOf(asked)).toHaveLength(1); // refused once: not asked again for the split's pieces
    const warnings = lines.filter((l) => l.level === WARN).map((l) => l.msg);
    expect(warnings).toEqual([
      'the API answered a full page of 4 alerts without an @odata.nextLink (it omits the link when the request has $top); the rest is read by narrower time ranges',
    ]);
  });

  it('a proof answered with any other failure fails the pull as any request does', async () => {
    const { mde } = source((url) => (url.searchParams.get('$top') === '1' ? { status: 403, headers: {} } : filtered(eight, url)), 8);
    await expect(drain(mde, range.since, range.until)).rejects.toMatchObject({ code: 'API_403' });
  });

  it('the alert a proof finds is neither written nor reported: the pages of the split read it', async () => {
    const withInvalid = eight.map((a, i) => (i === 4 ? { ...a, id: 42 } : a));
    let pagesWithInvalid = 0;
    const invalid: unknown[] = [];
    const { mde, asked } = source(
      (url) => {
        const answer = filtered(withInvalid, url);
        if (url.searchParams.get('$top') !== '1' && answer.some((a) => a['id'] === 42)) pagesWithInvalid++;
        return answer;
      },
      4,
      { onInvalid: (i) => void invalid.push(i) },
    );
    const ids = await drain(mde, range.since, range.until);
    expect([...ids].sort()).toEqual(['x0', 'x1', 'x2', 'x3', 'x5', 'x6', 'x7']);
    expect(proofsOf(asked).map((u) => u.searchParams.get('$skip'))).toEqual(['4']);
    expect(pagesWithInvalid).toBeGreaterThan(0);
    expect(invalid).toHaveLength(pagesWithInvalid);
  });

  it('--limit: a full page at the limit ends the pull before any proof', async () => {
    const { mde, asked } = source((url) => filtered(eight, url), 10);
    const ids: string[] = [];
    for await (const a of mde.fetch({ since: new Date(range.since), until: new Date(range.until), limit: 3, machineGroups: [] }))
      ids.push(a.id);
    expect(ids).toEqual(['x0', 'x1', 'x2']);
    expect(asked.map((u) => u.searchParams.get('$top'))).toEqual(['3']);
  });
});

describe('MdeSource against the simulator: ranges that end at a page boundary', () => {
  const sim = simPerTest({ alerts: 0, includeExamples: false });
  const started = Date.now();
  /** Alert `i` was processed `i` seconds after an hour ago. */
  const at = (i: number) => new Date(started - 3_600_000 + i * 1_000);

  /** A simulator holding exactly `count` alerts, and a source of `pageSize` reading it. */
  async function simSource(count: number, pageSize: number, options: SimulatorOptions = {}) {
    const client = await sim(options);
    client.sim.store.add(
      Array.from({ length: count }, (_, i) => {
        const id = `da8${String(i).padStart(17, '0')}_1`;
        return {
          AlertId: id,
          FullId: `${id}:ioc`,
          LastProcessedTimeUtc: at(i).toISOString(),
          AlertTitle: 'on a boundary',
          Severity: 'High',
        };
      }),
    );
    const reply = await client.postForm(
      `/${client.sim.credentials.tenantId}/oauth2/token`,
      v1Form(client.sim, { resource: 'https://api.securitycenter.microsoft.com' }),
    );
    const token = reply.json<{ access_token: string }>().access_token;
    const { log, lines } = recordingLogger();
    const mde = new MdeSource(
      { baseUrl: new URL(client.sim.url), pageSize, filterOn: 'lastUpdateTime', expandEvidence: false },
      sourceContext(client.dispatcher, { credential: fixedCredential(token), timeoutMs: 10_000, log }),
    );
    const asked = () =>
      client.sim.stats
        .of('alerts')
        .map(
          (r) =>
            new URL(
              `${r.path}?${new URLSearchParams(Object.entries(r.query).flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v])))}`,
              client.sim.url,
            ),
        );
    const warnings = () => lines.filter((l) => l.level === WARN).map((l) => l.msg);
    const debug = () => lines.map((l) => l.msg);
    return { mde, asked, warnings, debug };
  }

  async function pull(mde: MdeSource, until?: Date): Promise<string[]> {
    const ids: string[] = [];
    for await (const a of mde.fetch({ since: at(-60), ...(until ? { until } : {}), machineGroups: [] })) ids.push(a.id);
    return ids;
  }

  it('with next links, a chain that ends on a short page: no proof at all', async () => {
    const { mde, asked, warnings } = await simSource(12, 5);
    const ids = await pull(mde);
    expect(new Set(ids).size).toBe(12);
    expect(ids).toHaveLength(12);
    expect(asked().map((u) => u.searchParams.get('$skip'))).toEqual([null, '5', '10']);
    expect(proofsOf(asked())).toEqual([]);
    expect(warnings()).toEqual([]);
  });

  it('with next links, a chain whose last page is full (the service sends no link: nothing is left): its pages and one proof past them', async () => {
    const { mde, asked, warnings, debug } = await simSource(10, 5);
    const ids = await pull(mde);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    // The proof skips what the whole chain read, not one page.
    expect(asked().map((u) => [u.searchParams.get('$top'), u.searchParams.get('$skip')])).toEqual([
      ['5', null],
      ['5', '5'],
      ['1', '10'],
    ]);
    expect(warnings()).toEqual([]);
    expect(debug()).toContain(
      'a full page without an @odata.nextLink: one extra request ($skip=10, $top=1) proved that the range ended at the page boundary',
    );
    expect(debug()).toContain('range read in 3 request(s), ended at a full page: one more request found nothing past it');
  });

  it('an open range (no --until) is proven with the filter of its page, not one ended at the start of the pull', async () => {
    const { mde, asked } = await simSource(10, 5);
    await pull(mde);
    const [first, , proof] = asked();
    expect(proof?.searchParams.get('$filter')).toBe(first?.searchParams.get('$filter'));
    expect(proof?.searchParams.get('$filter')).not.toContain(' le ');
  });

  it('links left out ($top), data ending exactly at the page: one page and one proof, no warning, no split', async () => {
    const { mde, asked, warnings } = await simSource(5, 5, { mdeNoNextLinkWithTop: true });
    const ids = await pull(mde, at(100));
    expect(ids).toHaveLength(5);
    expect(asked().map((u) => u.searchParams.get('$top'))).toEqual(['5', '1']);
    expect(warnings()).toEqual([]);
  });

  it('links left out ($top), data past the page: the proof finds more, warns once in so many words, and the range is split', async () => {
    const { mde, asked, warnings, debug } = await simSource(10, 5, { mdeNoNextLinkWithTop: true });
    const ids = await pull(mde, at(100));
    expect([...ids].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `da8${String(i).padStart(17, '0')}_1`));
    expect(warnings()).toEqual([
      'the API answered a full page of 5 alerts without an @odata.nextLink although more alerts match (it left the link out); the rest is read by narrower time ranges',
    ]);
    // Once the API is seen leaving links out, the split's own full pages are split without a proof.
    expect(proofsOf(asked())).toHaveLength(1);
    expect(asked().length).toBeGreaterThan(3);
    expect(
      debug().some((m) => /^range read in \d+ request\(s\): split [1-9]\d* time\(s\), 0 \$skip page\(s\) and 1 end proof\(s\)/.test(m)),
    ).toBe(true);
  });
});
