/**
 * The coverage provider of `npm test`: vitest's own v8 provider, plus what the built CLI runs in the
 * child processes the end-to-end tests spawn (test/helpers/cli.ts: `node bin/defender-alerts.js`,
 * which loads `dist/`).
 *
 * vitest measures its workers through the inspector, which sees nothing of a child process
 * (vitest-dev/vitest#7064). Node writes a process's coverage itself when NODE_V8_COVERAGE names a
 * directory, and hands the variable on to every child it spawns, even one given a clean environment
 * (https://nodejs.org/api/cli.html#node_v8_coveragedir). So this provider names a directory, each
 * test worker sets the variable to it (test/helpers/child-coverage.ts), and the report adds what the
 * children wrote: their scripts are `dist/**.js`, mapped back to `src/` and `simulator/` by tsc's
 * source maps (tsconfig.json has `sourceMap`), converted by the library vitest converts its own
 * with, and counted into the one map that the summary and the thresholds read.
 * `DEFENDER_CHILD_COVERAGE=0 npm test` leaves the children out (to see what they add, or cost).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { Profiler } from 'node:inspector';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from '@vitest/coverage-v8';
import { parseAstAsync, type CoverageProvider } from 'vitest/node';
import { CHILD_DIR_VARIABLE } from './child-coverage.js';

interface ProcessCoverage {
  result: Profiler.ScriptCoverage[];
}
interface RawSourceMap {
  version: number;
  sources: string[];
  names: string[];
  mappings: string;
  sourceRoot?: string;
}
/** Istanbul's per-file coverage, the fields read here. */
interface FileCoverageData {
  path: string;
  statementMap: Record<string, unknown>;
  fnMap: Record<string, unknown>;
  branchMap: Record<string, { locations: unknown[] }>;
  s: Record<string, number>;
  f: Record<string, number>;
  b: Record<string, number[]>;
}
interface CoverageMap {
  files(): string[];
  fileCoverageFor(file: string): { data: FileCoverageData };
  merge(data: Record<string, FileCoverageData>): void;
}
/** The slice of V8CoverageProvider used here (public fields of vitest/node's BaseCoverageProvider). */
interface V8Provider extends CoverageProvider {
  coverageFilesDirectory: string;
  isIncluded(filename: string): boolean;
  generateCoverage(context: { allTestsRun?: boolean }): Promise<CoverageMap>;
}
interface CoverageLibraries {
  mergeProcessCovs: (covs: ProcessCoverage[]) => ProcessCoverage;
  convert: (options: {
    code: string;
    sourceMap: RawSourceMap;
    ast: ReturnType<typeof parseAstAsync>;
    coverage: Pick<Profiler.ScriptCoverage, 'functions' | 'url'>;
  }) => Promise<Record<string, FileCoverageData>>;
}

/**
 * The two libraries vitest's v8 provider merges and converts with, resolved from it: the same
 * versions, and no second copy to keep in step in package.json.
 */
async function coverageLibraries(): Promise<CoverageLibraries> {
  const fromProvider = createRequire(createRequire(import.meta.url).resolve('@vitest/coverage-v8'));
  const load = async (name: string): Promise<Record<string, unknown>> =>
    (await import(pathToFileURL(fromProvider.resolve(name)).href)) as Record<string, unknown>;
  const [bcoe, astV8] = await Promise.all([load('@bcoe/v8-coverage'), load('ast-v8-to-istanbul')]);
  return {
    mergeProcessCovs: bcoe['mergeProcessCovs'] as CoverageLibraries['mergeProcessCovs'],
    convert: astV8['default'] as CoverageLibraries['convert'],
  };
}

/** What the children wrote for this checkout's `dist/`, merged across processes and mapped to the sources. */
async function childCoverage(dir: string, root: string, isIncluded: (file: string) => boolean): Promise<FileCoverageData[]> {
  if (!existsSync(dir)) return [];
  const distUrl = `${pathToFileURL(join(root, 'dist')).href}/`;
  const { mergeProcessCovs, convert } = await coverageLibraries();
  const covs: ProcessCoverage[] = [];
  for (const name of await readdir(dir)) {
    let cov: ProcessCoverage;
    try {
      cov = JSON.parse(await readFile(join(dir, name), 'utf8')) as ProcessCoverage;
    } catch {
      continue; // cut short: a child killed while it wrote
    }
    covs.push({ result: cov.result.filter((script) => script.url.startsWith(distUrl) && script.url.endsWith('.js')) });
  }
  const converted: FileCoverageData[] = [];
  for (const script of mergeProcessCovs(covs).result) {
    const file = fileURLToPath(script.url);
    if (!existsSync(`${file}.map`)) continue;
    const sourceMap = JSON.parse(await readFile(`${file}.map`, 'utf8')) as RawSourceMap;
    // A file an older build left in dist/, whose source has moved or gone, counts for nothing.
    const sources = sourceMap.sources.map((source) => join(dirname(file), sourceMap.sourceRoot ?? '', source));
    if (!sources.every((source) => existsSync(source) && isIncluded(source))) continue;
    const code = await readFile(file, 'utf8');
    converted.push(...Object.values(await convert({ code, sourceMap, ast: parseAstAsync(code), coverage: script })));
  }
  return converted;
}

/** Whether two conversions of one source list the same statements, functions and branches. */
function sameShape(a: FileCoverageData, b: FileCoverageData): boolean {
  const keys = (o: object): string => Object.keys(o).join();
  return (
    keys(a.statementMap) === keys(b.statementMap) &&
    keys(a.fnMap) === keys(b.fnMap) &&
    keys(a.branchMap) === keys(b.branchMap) &&
    Object.entries(a.branchMap).every(([id, branch]) => branch.locations.length === b.branchMap[id]?.locations.length)
  );
}

/**
 * Adds a child's hits to the tests' own. The two conversions walk the same syntax tree (vitest's
 * transform of `src/` and tsc's both only strip the types) and so number its statements, functions
 * and branches alike, but they map a few start columns differently; istanbul's own merge keys on
 * location and would count those twice. So the hits are added by number, and a file whose shapes
 * differ (a `dist/` older than its source) is left out and named.
 */
function addHits(map: CoverageMap, child: FileCoverageData, stale: string[]): void {
  if (!map.files().includes(child.path)) {
    map.merge({ [child.path]: child });
    return;
  }
  const own = map.fileCoverageFor(child.path).data;
  if (!sameShape(own, child)) {
    stale.push(child.path);
    return;
  }
  for (const [id, hits] of Object.entries(child.s)) own.s[id] = (own.s[id] ?? 0) + hits;
  for (const [id, hits] of Object.entries(child.f)) own.f[id] = (own.f[id] ?? 0) + hits;
  for (const [id, hits] of Object.entries(child.b)) own.b[id] = hits.map((n, i) => (own.b[id]?.[i] ?? 0) + n);
}

export default {
  // Inside the test workers vitest loads its own v8 module (by the provider's name), so what must run
  // there, setting NODE_V8_COVERAGE, is a setup file: test/helpers/child-coverage.ts.
  ...v8,
  async getProvider(): Promise<CoverageProvider> {
    const provider = (await v8.getProvider()) as V8Provider;
    const initialize = provider.initialize.bind(provider);
    const generateCoverage = provider.generateCoverage.bind(provider);
    let root = process.cwd();
    provider.initialize = async (ctx) => {
      await initialize(ctx);
      root = ctx.config.root;
      // Inside vitest's scratch directory, which it empties before a run and removes after.
      if (process.env['DEFENDER_CHILD_COVERAGE'] !== '0')
        process.env[CHILD_DIR_VARIABLE] = join(provider.coverageFilesDirectory, 'children');
    };
    provider.generateCoverage = async (context) => {
      const map = await generateCoverage(context);
      const dir = process.env[CHILD_DIR_VARIABLE];
      if (dir === undefined) return map;
      const stale: string[] = [];
      for (const child of await childCoverage(dir, root, (file) => provider.isIncluded(file))) addHits(map, child, stale);
      if (stale.length > 0) {
        const files = stale.map((file) => relative(root, file)).join(', ');
        process.stderr.write(
          `coverage: the child processes' hits in ${files} are left out: dist/ is older than the source (npm run build)\n`,
        );
      }
      return map;
    };
    return provider;
  },
};
