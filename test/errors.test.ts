/**
 * The error codes are one declared list (src/errors.ts ERROR_CODES; the compiler refuses any other
 * code), and docs/reference.md explains exactly that list: a code added, renamed or removed fails
 * here until the table says so.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeName, ERROR_CODES } from '../src/errors.js';

const reference = readFileSync(fileURLToPath(new URL('../docs/reference.md', import.meta.url)), 'utf8');

describe('error codes', () => {
  it('docs/reference.md has one row for each declared code, and none for another', () => {
    const section = reference.slice(reference.indexOf('### Error codes'), reference.indexOf('## Validation'));
    const documented = [...section.matchAll(/^\| `([A-Z_0-9]+)` \| (\d+) \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('an outside name becomes the tail of a code', () => {
    expect(codeName('invalid_client')).toBe('INVALID_CLIENT');
    expect(codeName('interaction-required')).toBe('INTERACTION_REQUIRED');
  });
});
