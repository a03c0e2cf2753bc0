import { describe, expect, it } from 'vitest';
import { hash64, SeenKeys } from '../../src/api/seen-keys.js';

describe('SeenKeys', () => {
  it('remembers every key added, across blocks, and nothing else', () => {
    const seen = new SeenKeys();
    const key = (i: number) =>
      `da6373707189816856${i}_163491:R4xEdgAvDb2LQl3BgHoA3NYqKmRSiIAG7dpxAJCYZhY=|2024-05-01T10:00:00.${String(i).padStart(7, '0')}Z`;
    for (let i = 0; i < 150_000; i++) seen.add(key(i));
    expect(seen.size).toBe(150_000); // more than two blocks
    for (let i = 0; i < 150_000; i++) expect(seen.has(key(i))).toBe(true);
    let falsePositives = 0;
    for (let i = 150_000; i < 200_000; i++) if (seen.has(key(i))) falsePositives++;
    expect(falsePositives).toBe(0);
  });

  it('finds keys added after the first lookup (during a retry) too', () => {
    const seen = new SeenKeys();
    seen.add('a|1');
    expect(seen.has('b|2')).toBe(false);
    seen.add('b|2');
    seen.add('a|1');
    expect(seen.has('a|1')).toBe(true);
    expect(seen.has('b|2')).toBe(true);
    expect(seen.has('c|3')).toBe(false);
  });

  it('keeps finding keys when many are added after the first lookup (a continuation re-reading a range)', () => {
    const seen = new SeenKeys();
    for (let i = 0; i < 10; i++) seen.add(`early|${i}`);
    expect(seen.has('early|3')).toBe(true); // builds the index
    for (let i = 0; i < 200_000; i++) seen.add(`late|${i}`); // merged into the index more than once
    expect(seen.size).toBe(200_010);
    for (let i = 0; i < 200_000; i += 997) expect(seen.has(`late|${i}`)).toBe(true);
    expect(seen.has('early|9')).toBe(true);
    expect(seen.has('late|200000')).toBe(false);
    seen.add('late|5');
    expect(seen.size).toBe(200_010);
  });

  it('hashes keys that differ in one character differently', () => {
    expect(hash64('da1_2|2024-05-01T10:00:00.1234567Z')).not.toEqual(hash64('da1_2|2024-05-01T10:00:00.1234568Z'));
    // The same key built another way hashes alike (the hash reads the text, not the string object).
    expect(hash64(['da1_2', '2024-05-01T10:00:00.1234567Z'].join('|'))).toEqual(hash64('da1_2|2024-05-01T10:00:00.1234567Z'));
    // Keys that differ only by a trailing NUL, or are empty, still differ (the length is mixed in).
    expect(hash64('')).not.toEqual(hash64('\0'));
    expect(hash64('a')).not.toEqual(hash64('a\0'));
  });
});
