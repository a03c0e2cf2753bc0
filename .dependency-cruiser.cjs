/**
 * The layers of src/, bottom first. A module may import its own layer and the ones below it,
 * never one above — not even a type. `npm run lint` checks it (and CI runs the lint), so an import
 * that runs back up fails the build rather than waiting for a reviewer. docs/design.md explains
 * what each layer is for.
 */
const LAYERS = [
  // Plain data and pure helpers everything may use.
  ['foundation', '^src/(errors|time|microsoft)\\.ts$|^src/util/'],
  // Bytes and requests: HTTP, JSON splitting, logs and the secrets they must never show.
  ['transport', '^src/(http|json)/|^src/(secrets|log|notice)\\.ts$'],
  // What an alert is (schemas, checks, the SIEM mapping) and how to sign in.
  ['domain', '^src/(alert|auth)/'],
  // The three alert APIs behind one AlertSource interface.
  ['sources', '^src/api/'],
  // Where alerts go and what a scheduled run remembers.
  ['storage', '^src/(state|output)/'],
  // Flags, environment and files turned into one validated configuration.
  ['config', '^src/config/'],
  // A command's setup (environment, dispatcher, sign-in) and the delivery engine it drives: the
  // loop, its windows, the state session, the service and the fleet.
  ['engine', '^src/(context|delivery)/'],
  // The commands, each a plain async function.
  ['commands', '^src/commands/'],
  // The commander shell and the process entry point.
  ['entry', '^src/(cli|main)\\.ts$'],
];

const upward = [];
for (let low = 0; low < LAYERS.length; low++) {
  for (let high = low + 1; high < LAYERS.length; high++) {
    upward.push({
      name: `${LAYERS[low][0]}-not-to-${LAYERS[high][0]}`,
      comment: `src/ layers point down: ${LAYERS[low][0]} must not import ${LAYERS[high][0]}`,
      severity: 'error',
      from: { path: LAYERS[low][1] },
      to: { path: LAYERS[high][1] },
    });
  }
}

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'simulator-stands-apart',
      comment: 'the simulator (simulator/) is a stand-in for Microsoft: of the CLI it uses only the foundation',
      severity: 'error',
      from: { path: '^simulator/' },
      to: { path: '^src/', pathNot: LAYERS[0][1] },
    },
    {
      name: 'only-simulate-starts-the-simulator',
      comment: 'the CLI reaches the simulator through the simulate command alone',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/commands/simulate\\.ts$' },
      to: { path: '^simulator/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'undici-without-its-index',
      comment:
        "undici's index loads all of undici (fetch, WebSocket, caches, mocks: ~50 ms of every start-up); the CLI takes its values from src/http/undici.ts, types from undici itself",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/http/undici\\.ts$' },
      to: { path: '^node_modules/undici/index\\.js$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      from: { path: '^(src|simulator)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Source files import './x.js' for './x.ts' (NodeNext resolution).
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
