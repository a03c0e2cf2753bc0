import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('.env.example', () => {
  it('names, with a comment, every AZURE_/DEFENDER_ variable the code reads', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const used = new Set(
      sources(join(root, 'src')).flatMap((file) => readFileSync(file, 'utf8').match(/\b(?:AZURE|DEFENDER)_[A-Z_]+\b/g) ?? []),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(example, name).toContain(name);
  });
});
