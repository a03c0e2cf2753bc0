/**
 * The options section of docs/reference.md is generated from the option table (src/config/spec.ts)
 * by scripts/reference.js, so it cannot drift from what the CLI accepts: the committed section must
 * be what the generator writes from the sources now.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as options from '../../src/cli/options.js';
import * as spec from '../../src/config/spec.js';

type Reference = {
  optionsSection(modules: { spec: typeof spec; options: typeof options }): string;
  currentOptionsSection(markdown: string): string | undefined;
  withOptionsSection(markdown: string, section: string): string;
};

// Plain JavaScript (node runs it without a build step), outside the TypeScript project of the
// tests: imported by URL, typed by hand above.
const reference = (await import(new URL('../../scripts/reference.js', import.meta.url).href)) as Reference;
const markdown = readFileSync(new URL('../../docs/reference.md', import.meta.url), 'utf8');
const generated = reference.optionsSection({ spec, options });

describe('docs/reference.md, options section', () => {
  it('is what `npm run docs:reference` writes from src/config/spec.ts now', () => {
    const committed = reference.currentOptionsSection(markdown);
    expect(committed, 'docs/reference.md has lost its marker comments around the options').toBeDefined();
    expect(
      committed,
      'docs/reference.md is out of date with src/config/spec.ts: run `npm run docs:reference` and commit the result ' +
        '(option text is edited in src/config/spec.ts, never between the markers)',
    ).toBe(generated);
  });

  it('names every setting of every command, with its environment variable and its details', () => {
    for (const setting of spec.EVERY_SETTING) {
      expect(generated, setting.flag).toContain(`\`--${setting.flag}`);
      if (setting.env) expect(generated, setting.flag).toContain(`\`${setting.env}\``);
      if (setting.details) expect(generated, setting.flag).toContain(setting.details.replace(/\|/g, '\\|'));
    }
  });

  it('replaces only what lies between the markers', () => {
    const section = reference.currentOptionsSection(markdown)!;
    const [before, after] = markdown.split(section);
    const rewritten = reference.withOptionsSection(`${before}${section.replace('--api', '--apx')}${after}`, generated);
    expect(rewritten).toBe(`${before}${generated}${after}`);
    expect(() => reference.withOptionsSection('no markers here', generated)).toThrow(/lost its markers/);
  });
});
