/**
 * `--shard i/n` splits a fleet over n machines with no coordinator: for any tenants and any n,
 * every tenant is served by exactly one shard, the same one on every run and whatever else is in
 * the file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from '../../src/config/shard.js';

const tenantId = fc.uuid().map((u) => u.toLowerCase());
const tenants = fc.uniqueArray(tenantId, { minLength: 0, maxLength: 200 }).map((ids) => ids.map((tenant) => ({ tenant })));

describe('--shard', () => {
  it('covers every tenant exactly once for any shard count', () => {
    fc.assert(
      fc.property(tenants, fc.integer({ min: 1, max: 64 }), (items, count) => {
        const served = Array.from({ length: count }, (_, index) => inShard(items, { index, count })).flat();
        expect(served.map((t) => t.tenant).sort()).toEqual(items.map((t) => t.tenant).sort());
      }),
    );
  });

  it("puts a tenant in the same shard whatever the file's order or other tenants", () => {
    fc.assert(
      fc.property(tenants, tenantId, fc.integer({ min: 1, max: 1000 }), (others, tenant, count) => {
        const alone = inShard([{ tenant }], { index: shardOf(tenant, count), count });
        const among = inShard([...others, { tenant }].reverse(), { index: shardOf(tenant, count), count });
        expect(alone).toEqual([{ tenant }]);
        expect(among).toContainEqual({ tenant });
      }),
    );
  });

  it('ignores the case of a tenant id or domain, as Entra ID does', () => {
    fc.assert(fc.property(tenantId, fc.integer({ min: 1, max: 1000 }), (t, n) => shardOf(t.toUpperCase(), n) === shardOf(t, n)));
  });

  it('is stable across versions: known tenants keep their shards', () => {
    // Changing the hash would move every tenant to another machine (and its state file with it).
    expect([1, 2, 3].map((i) => shardOf(`00000000-0000-4000-8001-00000000000${i}`, 4))).toEqual([2, 2, 3]);
    expect(shardOf('contoso.onmicrosoft.com', 1000)).toBe(6);
  });

  it('spreads tenants evenly enough', () => {
    const ids = Array.from({ length: 8000 }, (_, i) => `00000000-0000-4000-8001-${String(i).padStart(12, '0')}`);
    const sizes = Array.from(
      { length: 8 },
      (_, index) =>
        inShard(
          ids.map((tenant) => ({ tenant })),
          { index, count: 8 },
        ).length,
    );
    for (const size of sizes) expect(Math.abs(size - 1000)).toBeLessThan(120);
  });

  it('parses i/n and explains what is wrong', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow('the shard index counts from 0 and must be below 4, got 4');
    expect(() => parseShard('0/0')).toThrow('the shard count must be from 1 to 10000, got 0');
    expect(() => parseShard('1-4')).toThrow('expected i/n, such as 0/4 (shard 0 of 4; i counts from 0), got "1-4"');
  });
});
