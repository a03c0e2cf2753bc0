#!/usr/bin/env node
// `npm run docs:reference`: writes the options section of docs/reference.md from the option table
// (src/config/spec.ts) and the help's layout (src/cli/options.ts), between the two marker comments
// below, so the reference lists exactly what the CLI accepts. test/docs/reference.test.ts fails when
// the committed section differs from what this writes now. The rest of reference.md is prose,
// written by hand.
//
// Run directly, it reads the built modules in dist/ (the npm script builds first); the test hands
// it the sources instead. Rendering is pure: modules in, Markdown out.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

/** @typedef {import('../src/config/spec.js').SettingSpec} SettingSpec */
/** @typedef {import('../src/config/spec.js').ValueRule} ValueRule */
/** @typedef {typeof import('../src/config/spec.js')} SpecModule */
/** @typedef {typeof import('../src/cli/options.js')} OptionsModule */

export const BEGIN = '<!-- options: generated from src/config/spec.ts by `npm run docs:reference`; edit there, not here -->';
export const END = '<!-- end of the generated options -->';

/** The reference file, from the repository's root. */
export const REFERENCE = 'docs/reference.md';

/**
 * A duration in ms as the CLI accepts it back: `1m`, `7d`, `0s`.
 * @param {number} ms
 */
function duration(ms) {
  const units = /** @type {const} */ ([
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]);
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return ms === 0 ? '0s' : `${ms} ms`;
}

/**
 * A whole number in groups of three, as the docs write them: `10 000`.
 * @param {number} n
 */
function whole(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/**
 * What a setting accepts, in words: from its value rule, or from a `<a|b|c>` placeholder.
 * @param {SettingSpec} spec
 */
function accepted(spec) {
  const rule = spec.value;
  const choices = /^<([a-z-]+(?:\|[a-z-]+)+)>$/.exec(spec.arg ?? '')?.[1]?.split('|');
  let text = '';
  if (rule?.kind === 'choice') text = rule.choices.map((c) => `\`${c}\``).join(', ');
  else if (rule?.kind === 'whole') text = `${whole(rule.min)} to ${whole(rule.max)}`;
  else if (rule?.kind === 'duration') text = `${duration(rule.minMs)} to ${duration(rule.maxMs)}${rule.auto ? ', or `auto`' : ''}`;
  else if (rule?.kind === 'time') text = 'ISO-8601 time, or a duration before now';
  else if (rule?.kind === 'api-duration') text = 'a duration';
  else if (rule?.kind === 'text') text = 'text';
  else if (rule?.kind === 'tenant') text = 'a GUID or a verified domain (required)';
  else if (rule?.kind === 'guid') text = 'a GUID (required)';
  else if (rule?.kind === 'origin') text = 'an `https://` URL (`http://` on loopback only), no query';
  else if (rule?.kind === 'uri') text = 'an absolute URI';
  else if (rule?.kind === 'seconds') text = `more than 0 to ${whole(rule.max)} seconds`;
  else if (choices) text = choices.map((c) => `\`${c}\``).join(', ');
  return spec.repeatable ? `${text ? `${text}; ` : ''}repeatable` : text;
}

/**
 * A table cell: a pipe would end it early, a newline would end the row.
 * @param {string} text
 */
function cell(text) {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * `code` in a table cell (nothing for no text).
 * @param {string} text
 */
function code(text) {
  return text ? `\`${cell(text)}\`` : '';
}

const HEADER = ['| option | environment | default | accepts | meaning |', '|---|---|---|---|---|'];

/**
 * One table row per option of `command`, in the help's order; `--help` itself is left out.
 * @param {Command} command  built by options.addSettings, so flags, short flags, order and groups are the help's
 * @param {readonly SettingSpec[]} specs  the settings it was built from
 * @returns {{ group: string | undefined; row: string }[]}
 */
function rows(command, specs) {
  return command.options
    .filter((o) => o.long !== '--help')
    .map((o) => {
      const spec = specs.find((s) => `--${s.flag}` === o.long);
      const flags = [o.short, `${o.long}${spec?.arg ? ` ${spec.arg}` : ''}`].filter(Boolean).map((f) => code(String(f)));
      const meaning = spec ? (spec.details ? `${spec.description}. ${spec.details}` : spec.description) : o.description;
      const row = [flags.join(', '), code(spec?.env ?? ''), code(spec?.default ?? ''), spec ? accepted(spec) : '', cell(meaning)];
      return { group: o.helpGroupHeading?.replace(/:$/, ''), row: `| ${row.join(' | ')} |` };
    });
}

/**
 * A command's options as tables: one per help group (grouped layout), or one.
 * @param {OptionsModule} options
 * @param {string} name
 * @param {readonly SettingSpec[]} specs
 * @param {import('../src/cli/options.js').Layout} layout
 */
function tables(options, name, specs, layout) {
  const all = rows(options.addSettings(new Command(name), specs, layout), specs);
  if (layout === 'flat') return [...HEADER, ...all.map((r) => r.row)];
  const groups = [...new Set(all.map((r) => r.group))];
  return groups.flatMap((group) => [
    `#### ${name}: ${group ?? 'Options'}`,
    '',
    ...HEADER,
    ...all.filter((r) => r.group === group).map((r) => r.row),
    '',
  ]);
}

/**
 * `--a`, `--b` and `-q` (which every command with `--log-level` has).
 * @param {readonly SettingSpec[]} specs
 */
function flagList(specs) {
  const flags = [...specs.map((s) => `\`--${s.flag}\``), '`-q`'];
  return flags.length > 1 ? `${flags.slice(0, -1).join(', ')} and ${flags.at(-1)}` : (flags[0] ?? '');
}

/**
 * The generated section, markers included: every option of every command, with its environment
 * variable, default, accepted values, description and details.
 * @param {{ spec: SpecModule; options: OptionsModule }} modules
 * @returns {string}
 */
export function optionsSection({ spec, options }) {
  const lines = [
    BEGIN,
    '',
    'Every option of every command, from the option table the CLI itself is built from',
    '(`src/config/spec.ts`). "environment" is the variable that sets it when the flag is not given;',
    '"default" applies when neither is; a boolean switch takes no value.',
    '',
    '### pull',
    '',
    'In the groups and the order of `pull --help`.',
    '',
    ...tables(options, 'pull', [...spec.AUTH_SETTINGS, ...spec.PULL_SETTINGS, ...spec.FLEET_SETTINGS], 'grouped'),
    '### token',
    '',
    `The sign-in and connection options of \`pull\`, the same in every way: ${flagList(spec.AUTH_SETTINGS)}.`,
    '',
    '### login and logout',
    '',
    `Of \`pull\`'s options, those that say which sign-in: ${flagList(spec.USER_SIGN_IN_SETTINGS)}. \`login\` also takes:`,
    '',
    ...tables(options, 'login', spec.LOGIN_SETTINGS, 'flat'),
    '',
    '`logout` also takes:',
    '',
    ...tables(options, 'logout', spec.LOGOUT_SETTINGS, 'flat'),
    '',
    '### status',
    '',
    ...tables(options, 'status', spec.STATUS_SETTINGS, 'flat'),
    '',
    '### simulate',
    '',
    ...tables(options, 'simulate', spec.SIMULATE_SETTINGS, 'flat'),
    '',
    END,
  ];
  return lines.join('\n');
}

/**
 * `markdown` with the text from BEGIN to END replaced by `section`.
 * @param {string} markdown
 * @param {string} section  as optionsSection returns it
 */
export function withOptionsSection(markdown, section) {
  const start = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${REFERENCE} has lost its markers: put back the lines\n${BEGIN}\n${END}`);
  return markdown.slice(0, start) + section + markdown.slice(end + END.length);
}

/**
 * The section as it stands in `markdown`, markers included (undefined without them).
 * @param {string} markdown
 */
export function currentOptionsSection(markdown) {
  const start = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  return start < 0 || end < start ? undefined : markdown.slice(start, end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = new URL('../dist/src/', import.meta.url).href;
  /** @type {SpecModule} */
  const spec = await import(`${dist}config/spec.js`);
  /** @type {OptionsModule} */
  const options = await import(`${dist}cli/options.js`);
  const path = fileURLToPath(new URL(`../${REFERENCE}`, import.meta.url));
  const before = await readFile(path, 'utf8');
  const after = withOptionsSection(before, optionsSection({ spec, options }));
  if (after !== before) await writeFile(path, after);
  process.stderr.write(`${REFERENCE}: options section ${after === before ? 'already up to date' : 'rewritten'}\n`);
}
