import { describe, expect, it } from 'vitest';
import { readText } from '../../src/http/send.js';

async function* chunksOf(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

describe('readText', () => {
  it('decodes a character whose UTF-8 bytes a chunk boundary cut in two', async () => {
    const bytes = Buffer.from('{"error_description":"Zugriff für Benutzer verweigert — 🔒"}', 'utf8');
    const at = bytes.indexOf(Buffer.from('ü', 'utf8')) + 1; // inside the two bytes of "ü"
    const lock = bytes.indexOf(Buffer.from('🔒', 'utf8')) + 2; // inside the four bytes of the emoji
    const text = await readText(chunksOf(bytes.subarray(0, at), bytes.subarray(at, lock), bytes.subarray(lock)));
    expect(text).toBe('{"error_description":"Zugriff für Benutzer verweigert — 🔒"}');
    expect(text).not.toContain('\uFFFD');
  });

  it('reads an empty body as an empty string', async () => {
    expect(await readText(chunksOf())).toBe('');
  });
});
