// Where the built CLI and simulator live (dist/), as a URL to import from.
//
// The build emits no declaration files, and `npm run typecheck` checks bench/ and scripts/ with
// allowJs (tsconfig.scripts.json): a literal `import … from '../dist/…'` would hand the checker
// dist's compiled JavaScript (untyped parameters, and errors of its own). So the benchmarks import
// dist/ modules through this computed URL and declare each one's type from its TypeScript source:
//
//   /** @type {typeof import('../simulator/server.js')} */
//   const { startSimulator } = await import(`${DIST}simulator/server.js`);
//
// At run time it is the same module from dist/; at check time it has the source's exact types.
export const DIST = new URL('../../dist/', import.meta.url).href;
