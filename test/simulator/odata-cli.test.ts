/**
 * The built CLI against the simulator's OData APIs: `--base-url <simulator>` is enough for
 * `--api mde` and `--api graph` (same origin for tokens and all three APIs). `npm test` builds first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
beforeAll(async () => {
  // Two hours of alerts, read with --since 3h: none sits near the edge of the window.
  sim = await startSimulator({ alerts: 300, seed: 5, windowHours: 2 });
});
afterAll(async () => {
  await sim.close();
});

/** The distinct AlertIds the simulator holds. */
function expectedIds(): string[] {
  const { alerts } = sim.store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date());
  return [...new Set([...alerts].map((a) => String(a.AlertId)))].sort();
}

describe.each(['mde', 'graph'])('pull --api %s --base-url <simulator>', (api) => {
  it('delivers every alert once, paging across many pages', async () => {
    const before = sim.stats.of('alerts').length;
    const result = await runCli(['pull', '--api', api, '--base-url', sim.url, '--since', '3h', '--page-size', '25', '--format', 'ndjson'], {
      env: simEnv(sim),
      timeoutMs: 30_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const ids = result.stdout
      .trim()
      .split('\n')
      .map((line) => String((JSON.parse(line) as { id: unknown }).id));
    expect(ids.length).toBe(new Set(ids).size);
    expect([...ids].sort()).toEqual(expectedIds());
    const requests = sim.stats.of('alerts').slice(before);
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.every((r) => r.path === (api === 'mde' ? '/api/alerts' : '/v1.0/security/alerts_v2') && r.status === 200)).toBe(true);
  });
});
