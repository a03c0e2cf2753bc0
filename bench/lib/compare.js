/**
 * Checks that two NDJSON files hold the same alerts with the same values, in the same order.
 * Compared after parsing (so `jq -c`'s re-serialisation and our byte-for-byte copy can differ in
 * spelling, never in content), key order included; also counts lines that are identical bytes.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isDeepStrictEqual } from 'node:util';

/** @param {string} path */
async function* lines(path) {
  yield* createInterface({ input: createReadStream(path), crlfDelay: Infinity });
}

/**
 * Resolves `{ equal, count, identicalBytes, firstDifference? }`.
 * @param {string} pathA
 * @param {string} pathB
 */
export async function compareNdjson(pathA, pathB) {
  const a = lines(pathA)[Symbol.asyncIterator]();
  const b = lines(pathB)[Symbol.asyncIterator]();
  let count = 0;
  let identicalBytes = 0;
  for (;;) {
    const [x, y] = await Promise.all([a.next(), b.next()]);
    if (x.done || y.done) {
      const equal = x.done === true && y.done === true;
      return equal
        ? { equal, count, identicalBytes }
        : { equal, count, identicalBytes, firstDifference: `line ${count + 1}: one output ended early` };
    }
    count++;
    if (x.value === y.value) {
      identicalBytes++;
      continue;
    }
    const p = JSON.parse(x.value);
    const q = JSON.parse(y.value);
    if (!isDeepStrictEqual(p, q) || Object.keys(p).join() !== Object.keys(q).join()) {
      return {
        equal: false,
        count,
        identicalBytes,
        firstDifference: `line ${count}:\n  ${x.value.slice(0, 300)}\n  ${y.value.slice(0, 300)}`,
      };
    }
  }
}
