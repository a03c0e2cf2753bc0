/**
 * `defender-alerts completion bash|zsh|fish`: a completion script generated from the commander
 * program itself, so it knows exactly the commands and options the help lists. An option's fixed
 * values are the alternatives of its placeholder (`--api <siem|mde|graph>`); `--log-level` and
 * `--region` take theirs from the lists the configuration is validated against. Pure: the caller
 * prints the text.
 */
import type { Command, Option } from 'commander';
import { LOG_LEVELS } from '../notice.js';
import { MDE_REGIONS, SIEM_REGIONS } from '../microsoft.js';
import type { Shell } from './shells.js';

/** What may follow an option: nothing (a switch), fixed words, a file, a directory, or free text. */
export type OptionValue =
  { kind: 'none' } | { kind: 'words'; words: readonly string[] } | { kind: 'file' } | { kind: 'dir' } | { kind: 'text' };

interface OptionInfo {
  long: string;
  short: string | undefined;
  description: string;
  value: OptionValue;
}

interface CommandInfo {
  name: string;
  description: string;
  options: OptionInfo[];
  /** Words of its first argument (`completion <shell>`, `help [command]`). */
  operands: readonly string[];
}

// Placeholders that name a file or a directory rather than a set of words.
const FILE_PLACEHOLDERS = new Set(['file', 'path', 'pem']);
const DIR_PLACEHOLDERS = new Set(['dir']);

/** Values the placeholder does not list: the same lists the configuration validates with. */
const LISTED_ELSEWHERE: Record<string, readonly string[]> = {
  logLevel: LOG_LEVELS,
  region: [...new Set([...SIEM_REGIONS, ...MDE_REGIONS])],
};

/** Every single-word placeholder of the program (`<duration>`, `<n>`): kinds of value, not values. */
function placeholderKinds(commands: readonly Command[]): Set<string> {
  const kinds = new Set<string>();
  for (const option of commands.flatMap((c) => c.options)) {
    const inner = /<([^>|]+)>/.exec(option.flags)?.[1];
    if (inner !== undefined) kinds.add(inner);
  }
  return kinds;
}

/** What may follow `option` (exported for the tests). */
export function optionValue(option: Option, kinds: ReadonlySet<string>): OptionValue {
  const listed = LISTED_ELSEWHERE[option.attributeName()];
  if (listed) return { kind: 'words', words: listed };
  const placeholder = /<([^>]+)>/.exec(option.flags)?.[1];
  if (placeholder === undefined) return { kind: 'none' };
  if (FILE_PLACEHOLDERS.has(placeholder)) return { kind: 'file' };
  if (DIR_PLACEHOLDERS.has(placeholder)) return { kind: 'dir' };
  const words = placeholder.split('|').filter((w) => !kinds.has(w));
  return words.length > 1 || (words.length === 1 && placeholder.includes('|')) ? { kind: 'words', words } : { kind: 'text' };
}

function describe(program: Command): CommandInfo[] {
  const help = program.createHelp();
  // As the help lists them: hidden ones left out, commander's own `help [command]` included.
  const visible = help.visibleCommands(program);
  const kinds = placeholderKinds(program.commands);
  const names = visible.map((c) => c.name());
  return visible.map((command) => ({
    name: command.name(),
    description: command.description(),
    options: help
      .visibleOptions(command)
      .filter((o): o is Option & { long: string } => o.long !== undefined)
      .map((o) => ({ long: o.long, short: o.short, description: o.description, value: optionValue(o, kinds) })),
    operands: command.registeredArguments[0]?.argChoices ?? (command.name() === 'help' ? [...names, 'exit-codes'] : []),
  }));
}

/** The completion script for `shell`, for every visible command of `program`. */
export function completionScript(program: Command, shell: Shell): string {
  const commands = describe(program);
  const name = program.name();
  if (shell === 'bash') return bashScript(name, commands);
  if (shell === 'zsh') return zshScript(name, commands);
  return fishScript(name, commands);
}

const words = (list: readonly string[]) => list.join(' ');

function bashScript(name: string, commands: CommandInfo[]): string {
  const fn = `_${name.replace(/-/g, '_')}`;
  const cases = commands.map((c) => {
    const byValue = new Map<string, string[]>();
    for (const o of c.options) {
      const action =
        o.value.kind === 'words'
          ? `COMPREPLY=($(compgen -W '${words(o.value.words)}' -- "$cur"))`
          : o.value.kind === 'file'
            ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
            : o.value.kind === 'dir'
              ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))'
              : o.value.kind === 'text'
                ? 'COMPREPLY=()'
                : undefined;
      if (action === undefined) continue;
      byValue.set(action, [...(byValue.get(action) ?? []), o.long, ...(o.short ? [o.short] : [])]);
    }
    const valueCases = [...byValue].map(([action, flags]) => `        ${flags.join('|')}) ${action}; return ;;`);
    const flags = c.options.flatMap((o) => [o.long, ...(o.short ? [o.short] : [])]);
    return [
      `    ${c.name})`,
      ...(valueCases.length > 0 ? ['      case $prev in', ...valueCases, '      esac'] : []),
      c.operands.length > 0
        ? `      if [[ $cur != -* ]]; then COMPREPLY=($(compgen -W '${words(c.operands)}' -- "$cur")); return; fi`
        : undefined,
      `      COMPREPLY=($(compgen -W '${words(flags)}' -- "$cur")) ;;`,
    ]
      .filter((line) => line !== undefined)
      .join('\n');
  });
  return `# bash completion for ${name}, generated by "${name} completion bash"
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} command= i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ \${COMP_WORDS[i]} != -* ]]; then command=\${COMP_WORDS[i]}; break; fi
  done
  case $command in
    '') COMPREPLY=($(compgen -W '${words(commands.map((c) => c.name))} --help --version' -- "$cur")) ;;
${cases.join('\n')}
  esac
}
complete -F ${fn} ${name}
`;
}

/** Text inside a zsh `'…[description]'` spec: no quote, brackets or colons to end it early. */
function zshText(text: string): string {
  return text.replace(/[[\]:\\]/g, (c) => `\\${c}`).replace(/'/g, "'\\''");
}

function zshAction(value: OptionValue): string {
  switch (value.kind) {
    case 'none':
      return '';
    case 'words':
      return `:value:(${words(value.words)})`;
    case 'file':
      return ':file:_files';
    case 'dir':
      return ':directory:_files -/';
    case 'text':
      return ':value: ';
  }
}

function zshScript(name: string, commands: CommandInfo[]): string {
  const fn = `_${name}`;
  const cases = commands.map((c) => {
    const specs = c.options.map((o) => {
      const text = `[${zshText(o.description)}]${zshAction(o.value)}`;
      return o.short ? `'(${o.short} ${o.long})'{${o.short},${o.long}}'${text}'` : `'${o.long}${text}'`;
    });
    if (c.operands.length > 0) specs.push(`'1:argument:(${words(c.operands)})'`);
    return `        (${c.name})\n          _arguments -s ${specs.join(' \\\n            ')}\n          ;;`;
  });
  const list = commands.map((c) => `'${c.name}:${zshText(c.description)}'`).join(' \\\n    ');
  return `#compdef ${name}
# zsh completion for ${name}, generated by "${name} completion zsh"
${fn}() {
  local curcontext=$curcontext state line
  local -a commands
  commands=(
    ${list}
  )
  _arguments -C '(- *)'{-h,--help}'[display help]' '(- *)'{-V,--version}'[output the version number]' \\
    '1: :->command' '*:: :->argument' && return
  case $state in
    (command) _describe -t commands command commands ;;
    (argument)
      case $line[1] in
${cases.join('\n')}
      esac
      ;;
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

/** Text inside fish single quotes. */
function fishText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

function fishScript(name: string, commands: CommandInfo[]): string {
  const all = words(commands.map((c) => c.name));
  const lines = [
    `# fish completion for ${name}, generated by "${name} completion fish"`,
    `complete -c ${name} -f`,
    `complete -c ${name} -n 'not __fish_seen_subcommand_from ${all}' -s h -l help -d 'display help'`,
    `complete -c ${name} -n 'not __fish_seen_subcommand_from ${all}' -s V -l version -d 'output the version number'`,
  ];
  for (const c of commands) {
    lines.push(`complete -c ${name} -n 'not __fish_seen_subcommand_from ${all}' -a ${c.name} -d '${fishText(c.description)}'`);
    const when = `-n '__fish_seen_subcommand_from ${c.name}'`;
    if (c.operands.length > 0) lines.push(`complete -c ${name} ${when} -a '${words(c.operands)}'`);
    for (const o of c.options) {
      const flags = `${o.short ? `-s ${o.short.slice(1)} ` : ''}-l ${o.long.slice(2)}`;
      const value =
        o.value.kind === 'words'
          ? ` -x -a '${words(o.value.words)}'`
          : o.value.kind === 'file' || o.value.kind === 'dir'
            ? ' -r -F'
            : o.value.kind === 'text'
              ? ' -x'
              : '';
      lines.push(`complete -c ${name} ${when} ${flags}${value} -d '${fishText(o.description)}'`);
    }
  }
  return `${lines.join('\n')}\n`;
}
