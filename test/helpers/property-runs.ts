/**
 * How many cases each fast-check property runs. The counts written in the tests (and fast-check's
 * default of 100 for a property that names none) are the full ones, which `npm test` and so CI
 * run. DEFENDER_PROPERTY_SCALE multiplies all of them: `npm run test:unit`, the inner loop, sets
 * a fraction (see vitest.unit.config.ts); a larger factor (`DEFENDER_PROPERTY_SCALE=10 npm test`)
 * searches harder. Both vitest configs load this file as a setup file, so it also sizes the
 * properties that name no count.
 */
import fc from 'fast-check';

/** fast-check's own numRuns when a property names none. */
const FAST_CHECK_DEFAULT_RUNS = 100;
/** Fewer cases than this find little: a scaled-down property still runs this many (or its full count, if smaller). */
const FEWEST_RUNS = 10;

function scaleFromEnv(): number {
  const text = process.env['DEFENDER_PROPERTY_SCALE'];
  if (text === undefined || text.trim() === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new Error(`DEFENDER_PROPERTY_SCALE must be a positive number (a factor on every property's run count), got "${text}"`);
  }
  return scale;
}

const SCALE = scaleFromEnv();

/**
 * The number of runs for a property whose full count is `full`. `atLeast`: a floor for a property
 * whose other assertions need that many cases (a share of them reaching some branch).
 */
export function propertyRuns(full: number, atLeast = FEWEST_RUNS): number {
  return Math.max(Math.min(full, atLeast), Math.round(full * SCALE));
}

fc.configureGlobal({ ...fc.readConfigureGlobal(), numRuns: propertyRuns(FAST_CHECK_DEFAULT_RUNS) });
