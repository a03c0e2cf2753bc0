/**
 * The keys of alerts already written in this run, so a retry that re-reads an answer from its
 * start skips them: a retry after part of a body was already written must not write any alert
 * twice.
 *
 * Memory must stay flat however large the answer, and a Set of key strings costs ~150 bytes an
 * alert. So each key is kept as a 64-bit hash, appended to fixed-size blocks: 8 bytes an
 * alert, no rehashing, no copy while growing. Lookups are only needed on a retry, which is rare:
 * the first lookup sorts the hashes once (one more 8 bytes an alert, on a retry only) and searches
 * them; hashes added after that go to a small Set.
 *
 * A hash can collide, so lookups are only made on a retry, never on the first reading of an answer
 * (there every alert is new by construction). On a retried answer of n alerts the chance that one
 * distinct alert is mistaken for a written one is about n² / 2⁶⁴ (3·10⁻⁸ for a million).
 */

const BLOCK_HASHES = 64 * 1024; // hashes per block: 512 KiB (two 32-bit halves each)
/** Late hashes kept in a Set before they are merged into the sorted index (doubling keeps it amortised). */
const LATE_MERGE_MIN = 64 * 1024;

/** Two independent 32-bit hashes of `key` (FNV-1a variants with murmur3's finaliser). */
export function hash64(key: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return [fmix(h1), fmix(h2 ^ key.length)];
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 64-bit hash as one exactly comparable value (hi · 2³² + lo, below 2⁶⁴: a BigUint64 slot). */
function combine([hi, lo]: [number, number]): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export class SeenKeys {
  /** Hash halves, appended: hi in even slots, lo in odd ones (no BigInt per alert on the hot path). */
  readonly #blocks: Uint32Array[] = [];
  #size = 0;
  /** Sorted 64-bit hashes, built by the first lookup. */
  #index: BigUint64Array | undefined;
  /**
   * Hashes added after the index was built. Merged into the index once it grows as large (a
   * continuation can keep adding after its first lookup), so memory stays near 8 bytes an alert.
   */
  readonly #late = new Set<bigint>();

  get size(): number {
    return this.#size + this.#late.size;
  }

  /** Remembers `key`. */
  add(key: string): void {
    const [hi, lo] = hash64(key);
    if (this.#index !== undefined) {
      const hash = combine([hi, lo]);
      if (!this.#late.has(hash) && !this.#indexed(hash)) {
        this.#late.add(hash);
        if (this.#late.size >= Math.max(LATE_MERGE_MIN, this.#index.length)) this.#mergeLate(this.#index);
      }
      return;
    }
    const slot = this.#size % BLOCK_HASHES;
    if (slot === 0) this.#blocks.push(new Uint32Array(BLOCK_HASHES * 2));
    const block = this.#blocks[this.#blocks.length - 1] as Uint32Array;
    block[slot * 2] = hi;
    block[slot * 2 + 1] = lo;
    this.#size++;
  }

  /** Whether `key` (or, rarely, a key with the same 64-bit hash) was added. */
  has(key: string): boolean {
    const hash = combine(hash64(key));
    return this.#indexed(hash) || this.#late.has(hash);
  }

  #indexed(hash: bigint): boolean {
    const index = (this.#index ??= this.#buildIndex());
    let lo = 0;
    let hi = index.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = index[mid] as bigint;
      if (value === hash) return true;
      if (value < hash) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  #mergeLate(index: BigUint64Array): void {
    const merged = new BigUint64Array(index.length + this.#late.size);
    merged.set(index);
    let i = index.length;
    for (const hash of this.#late) merged[i++] = hash;
    this.#late.clear();
    this.#index = merged.sort();
    this.#size = merged.length;
  }

  #buildIndex(): BigUint64Array {
    const index = new BigUint64Array(this.#size);
    for (let i = 0; i < this.#size; i++) {
      const block = this.#blocks[Math.floor(i / BLOCK_HASHES)] as Uint32Array;
      const slot = (i % BLOCK_HASHES) * 2;
      index[i] = combine([block[slot] as number, block[slot + 1] as number]);
    }
    this.#blocks.length = 0; // the index holds them all now
    return index.sort();
  }
}
