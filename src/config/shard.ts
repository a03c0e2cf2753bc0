/**
 * `--shard i/n`: which tenants of a tenants file this process serves, so that n machines (a
 * Kubernetes Indexed Job, n systemd template units) split a fleet with no coordinator. A tenant
 * belongs to the shard its id hashes to: stable across runs, machines and Node.js versions, and
 * independent of the file's order or of the other tenants in it. Pure.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  /** 0-based, as Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

/** The largest shard count accepted: beyond it a shard would hold a handful of tenants at most. */
export const MAX_SHARDS = 10_000;

/** Parses `i/n` (0 ≤ i < n ≤ {@link MAX_SHARDS}); throws an Error whose message says what is wrong. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!match) throw new Error(`expected i/n, such as 0/4 (shard 0 of 4; i counts from 0), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) throw new Error(`the shard count must be from 1 to ${MAX_SHARDS}, got ${count}`);
  if (index >= count) throw new Error(`the shard index counts from 0 and must be below ${count}, got ${index}`);
  return { index, count };
}

/**
 * The shard of a tenant among `count`: the first 48 bits of SHA-256 of its id, lower-cased (Entra
 * ids and domains are case-insensitive), modulo the count. 48 bits keep the modulo's bias far
 * below one tenant in a million at any shard count accepted.
 */
export function shardOf(tenant: string, count: number): number {
  const digest = createHash('sha256').update(tenant.trim().toLowerCase()).digest();
  return digest.readUIntBE(0, 6) % count;
}

/** The items whose tenant falls in `shard`, in their order. */
export function inShard<T extends { tenant: string }>(items: readonly T[], shard: Shard | undefined): T[] {
  if (shard === undefined) return [...items];
  return items.filter((item) => shardOf(item.tenant, shard.count) === shard.index);
}
