/**
 * The simulator serves long soaks of short-lived tokens: what it remembers stays the size of its
 * first minutes, so a benchmark of the CLI's endurance measures the CLI.
 */
import { describe, expect, it } from 'vitest';
import { SimulatorStats } from '../../simulator/stats.js';
import { TokenRegistry } from '../../simulator/tokens.js';

describe('what the simulator remembers is bounded', () => {
  it('a month of 2-second tokens, one a second: only the last minutes are remembered, and a recent one is still "expired"', () => {
    const tokens = new TokenRegistry();
    const start = Date.parse('2026-01-01T00:00:00Z');
    let last = '';
    for (let s = 0; s < 30 * 24 * 60; s++) last = tokens.issue('r', 2, new Date(start + s * 1000), 't');
    expect(tokens.size).toBeLessThanOrEqual(63);
    const now = new Date(start + 30 * 24 * 60 * 1000 + 10_000);
    expect(tokens.check(`Bearer ${last}`, now)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a token is remembered for at least its lifetime after it expired', () => {
    const tokens = new TokenRegistry();
    const start = Date.parse('2026-01-01T00:00:00Z');
    const first = tokens.issue('r', 3600, new Date(start), 't');
    tokens.issue('r', 3600, new Date(start + 2 * 3_600_000 - 1000), 't');
    expect(tokens.check(`Bearer ${first}`, new Date(start + 2 * 3_600_000))).toEqual({ ok: false, reason: 'expired' });
    tokens.issue('r', 3600, new Date(start + 2 * 3_600_000 + 1000), 't');
    expect(tokens.check(`Bearer ${first}`, new Date(start + 2 * 3_600_000 + 1000))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('the request log keeps the latest requests, and the counts and order numbers go on', () => {
    const stats = new SimulatorStats(100);
    for (let i = 0; i < 1000; i++) stats.record({ route: 'alerts', method: 'GET', path: '/', query: {}, headers: {}, receivedAt: '' });
    expect(stats.requests.length).toBeLessThanOrEqual(100);
    expect(stats.count('alerts')).toBe(1000);
    expect(stats.requests.at(-1)?.seq).toBe(1000);
    stats.reset();
    expect(stats.record({ route: 'token', method: 'POST', path: '/', query: {}, headers: {}, receivedAt: '' }).seq).toBe(1);
  });
});
