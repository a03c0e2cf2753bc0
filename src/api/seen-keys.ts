/**
 * The keys of alerts already written in this run, so a retry that re-reads an answer from its
 * start skips them (issue #2: "a retry after part of a body was already written must not write
 * any alert twice").
 *
 * A Set of the key strings would cost ~150 bytes per alert — 150 MB for a million — and memory
 * must stay flat however large the answer (issue #4). So each key is kept as a 64-bit hash in an
 * open-addressing table of typed arrays: 16 bytes per alert at most (8 bytes × load ≤ 0.5).
 *
 * A hash can collide, so the table is only *asked* on a retry, never on the first reading of an
 * answer: there every alert is new by construction. On a retried answer of n alerts the chance
 * that one distinct alert is mistaken for a written one is about n² / 2⁶⁴ (3·10⁻⁸ for a million).
 */

const INITIAL_SLOTS = 1024; // power of two

/** Two independent 32-bit hashes of `key` (FNV-1a with murmur3's finaliser, two seeds). */
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

export class SeenKeys {
  #hi = new Uint32Array(INITIAL_SLOTS);
  #lo = new Uint32Array(INITIAL_SLOTS);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Remembers `key`. */
  add(key: string): void {
    if ((this.#size + 1) * 2 > this.#hi.length) this.#grow();
    const [hi, lo] = nonZero(hash64(key));
    if (this.#insert(hi, lo)) this.#size++;
  }

  /** Whether `key` (or, rarely, a key with the same 64-bit hash) was added. */
  has(key: string): boolean {
    const [hi, lo] = nonZero(hash64(key));
    const mask = this.#hi.length - 1;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const slotHi = this.#hi[i];
      if (slotHi === 0 && this.#lo[i] === 0) return false;
      if (slotHi === hi && this.#lo[i] === lo) return true;
    }
  }

  #insert(hi: number, lo: number): boolean {
    const mask = this.#hi.length - 1;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const slotHi = this.#hi[i];
      const slotLo = this.#lo[i];
      if (slotHi === 0 && slotLo === 0) {
        this.#hi[i] = hi;
        this.#lo[i] = lo;
        return true;
      }
      if (slotHi === hi && slotLo === lo) return false;
    }
  }

  #grow(): void {
    const oldHi = this.#hi;
    const oldLo = this.#lo;
    this.#hi = new Uint32Array(oldHi.length * 2);
    this.#lo = new Uint32Array(oldLo.length * 2);
    for (let i = 0; i < oldHi.length; i++) {
      const hi = oldHi[i] as number;
      const lo = oldLo[i] as number;
      if (hi !== 0 || lo !== 0) this.#insert(hi, lo);
    }
  }
}

// (0, 0) marks an empty slot; the one key that hashes there moves next door.
function nonZero([hi, lo]: [number, number]): [number, number] {
  return hi === 0 && lo === 0 ? [0, 1] : [hi, lo];
}
