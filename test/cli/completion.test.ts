/**
 * The completion script offers, for every option with a fixed set of values, exactly the values
 * the configuration accepts: the words come from the option's placeholder (`<json|ndjson|…>`), the
 * check from its value rule in the option table, and the two must not drift apart.
 */
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { completionScript } from '../../src/cli/completion.js';
import { EVERY_SETTING, optionKey } from '../../src/config/spec.js';
import type { CommandIo } from '../../src/context/command-context.js';
import { capture } from '../helpers/capture.js';

const io = { env: {}, signal: new AbortController().signal, now: () => new Date() } as unknown as CommandIo;

/** `{ 'pull --format': ['cef', …] }`: the words fish is told to offer after each option. */
function offered(): Map<string, string[]> {
  const script = completionScript(buildProgram(io, capture().stream), 'fish');
  const words = new Map<string, string[]>();
  for (const m of script.matchAll(/__fish_seen_subcommand_from (\S+)' (?:-s \S+ )?-l (\S+) -x -a '([^']*)'/g)) {
    words.set(`${m[1]} --${m[2]}`, (m[3] ?? '').split(' ').sort());
  }
  return words;
}

describe('completion', () => {
  it('offers exactly the choices each choice setting is validated against', () => {
    const words = offered();
    const choices = new Map(
      EVERY_SETTING.flatMap((s) => (s.value?.kind === 'choice' ? [[optionKey(s.flag), [...s.value.choices].sort()] as const] : [])),
    );
    let checked = 0;
    for (const [where, list] of words) {
      const flag = where.split(' --')[1] ?? '';
      const expected = choices.get(optionKey(flag));
      if (expected === undefined) continue;
      expect(list, where).toEqual(expected);
      checked++;
    }
    // api, cloud, auth, log-level, format, schema, split, filter-on, … on several commands.
    expect(checked).toBeGreaterThan(10);
  });
});
