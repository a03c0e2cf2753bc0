/**
 * Every command example of the README and docs/ parses with the tool's own option parser, so a
 * renamed or removed option breaks the build instead of the reader's copy-paste. Each
 * `defender-alerts …` invocation in a fenced code block (or in the help's examples) is cut out of
 * its shell line — up to a pipe, redirection or `)` —, split as a shell would, and handed to the
 * real commander program with every action replaced by a no-op.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import type { CommandIo } from '../../src/context/command-context.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** README.md and every Markdown file of docs/, by path from the repository's root. */
function documents(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md'));
  return ['README.md', ...docs.map((n) => `docs/${n}`)];
}

/** The lines of fenced code blocks, with `\` continuations joined. */
function codeLines(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  let pending = '';
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  return lines;
}

/** Splits a command the way a POSIX shell would for plain words, single and double quotes. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Each `defender-alerts …` invocation of a shell line: its arguments, up to what ends the command. */
export function invocations(line: string): string[][] {
  // A `$ ` prompt is dropped; a `# ` comment line holds no command.
  const code = line
    .replace(/^\s*\$\s+/, '')
    .replace(/^\s*#.*$/, '')
    // A placeholder the reader fills in (`<public client id>`) is one word.
    .replace(/<[^<>]*>/g, 'PLACEHOLDER')
    // A redirection (`2>> file`, `> out.json`) is not an argument.
    .replace(/\s\d*>>?\s*\S+/g, ' ');
  const found: string[][] = [];
  const pattern = /(?:^|[\s;|&(`=])(?:npx\s+)?(?:\.\/bin\/)?defender-alerts(?:\.js)?\s+([a-z-][^|;&)`<>#]*)/g;
  for (const match of code.matchAll(pattern)) found.push(shellWords((match[1] ?? '').trim()));
  return found;
}

/** A placeholder a reader fills in (`<file>`, `…`): such an example is checked for its option names only. */
const PLACEHOLDER = /^PLACEHOLDER$|…|\.\.\./;

const io = {
  env: {},
  signal: new AbortController().signal,
  now: () => new Date(),
  stdout: process.stdout,
  stdin: process.stdin,
} as unknown as CommandIo;

/** The real program with every action made a no-op: parsing alone is checked. */
function parser(): Command {
  const sink = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
  const program = buildProgram(io, sink);
  const quiet = (command: Command): void => {
    command.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    command.action(() => {});
    command.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  program.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  return program;
}

/** Why `args` does not parse, or undefined when it does (help and version count as parsing). */
async function parseProblem(args: string[]): Promise<string | undefined> {
  const words = args.map((a) => (PLACEHOLDER.test(a) ? 'x' : a));
  try {
    await parser().parseAsync(words, { from: 'user' });
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) {
      return undefined;
    }
    return err instanceof Error ? err.message : String(err);
  }
}

const examples = documents().flatMap((path) =>
  codeLines(readFileSync(join(root, path), 'utf8')).flatMap((line) => invocations(line).map((args) => ({ path, line, args }))),
);

describe('the command examples of README.md and docs/', () => {
  it('are found (the extraction itself works)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(25);
    expect(invocations('TOKEN=$(defender-alerts token --env-file ./x.env | jq -r .access_token)')).toEqual([
      ['token', '--env-file', './x.env'],
    ]);
    expect(invocations(`defender-alerts pull --since 2h | jq '.[] | select(.severity=="high")'`)).toEqual([['pull', '--since', '2h']]);
    expect(invocations('# defender-alerts pull --nothing')).toEqual([]);
  });

  it('each parses with the option parser of the CLI', async () => {
    const problems: string[] = [];
    for (const { path, line, args } of examples) {
      const problem = await parseProblem(args);
      if (problem !== undefined) problems.push(`${path}: ${line.trim()}\n  → ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it('a renamed option is caught', async () => {
    expect(await parseProblem(['pull', '--sinse', '2h'])).toMatch(/unknown option '--sinse'/);
    expect(await parseProblem(['pull', '--since', '2h'])).toBeUndefined();
  });
});

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (outside code blocks), with GitHub's `-1`, `-2` for repeats. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    found.add(n === 0 ? base : `${base}-${n}`);
  }
  return found;
}

/** Every relative link `[text](target)` of a Markdown file, outside code blocks and code spans. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^\s*```[\s\S]*?^\s*```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((target) => !/^[a-z]+:/i.test(target));
}

describe('the links of README.md and docs/', () => {
  it('each relative link names a file that exists, and a heading of it after #', () => {
    const problems: string[] = [];
    for (const path of documents()) {
      for (const target of relativeLinks(readFileSync(join(root, path), 'utf8'))) {
        const [file = '', anchor] = target.split('#');
        const resolved = file === '' ? path : join(path, '..', file);
        if (!existsSync(join(root, resolved))) problems.push(`${path}: ${target} → no file ${resolved}`);
        else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(join(root, resolved), 'utf8')).has(anchor))
          problems.push(`${path}: ${target} → no heading #${anchor} in ${resolved}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('anchors are made as GitHub makes them', () => {
    expect(slug('The SIEM layout (`--schema siem`)')).toBe('the-siem-layout---schema-siem');
    expect(slug("6. Starting the tool: Node's `--env-file`")).toBe('6-starting-the-tool-nodes---env-file');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });
});
