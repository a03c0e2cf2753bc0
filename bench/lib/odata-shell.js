/**
 * The shell baselines of bench/odata.js, over a list of page URLs: one `curl` process fetching
 * every page in sequence (`-K` config file of `url = "…"` lines; one TLS connection, reused, as
 * the CLI's), either to /dev/null (the raw transfer) or into `jq -c '<filter>'` (the reference
 * pipeline; jq reads the pages' JSON texts one after another). URL file, token, CA and jq filter
 * come in the environment, never spliced into the script. bash, for `pipefail`: a curl that fails
 * mid-way fails the pipeline even when jq is happy with what it got. With GNU time, each stage's
 * CPU and peak RSS are written to its own file.
 */
import { writeFileSync } from 'node:fs';
import { HAVE_GNU_TIME, GNU_TIME, measure, readTimeReport, rssFile } from './proc.js';

const timed = (/** @type {string} */ variable) => (HAVE_GNU_TIME ? `${GNU_TIME} -f '%U %S %M' -o "$${variable}" ` : '');
const CURL = 'curl -s --fail --globoff --cacert "$CA" -H "Authorization: Bearer $T" -H "Accept: application/json" -K "$URLS"';

/**
 * Writes `urls` (absolute) as a curl config file at `path`.
 * @param {string} path
 * @param {readonly string[]} urls
 */
export function writeUrlList(path, urls) {
  for (const url of urls) if (/["\\\s]/.test(url)) throw new Error(`a page URL curl's config cannot hold as is: ${url}`);
  writeFileSync(path, urls.map((url) => `url = "${url}"\n`).join(''));
}

/** `curl <every page> > /dev/null`: the transfer alone. */
export function rawPagesScript() {
  return `set -eo pipefail; ${timed('TIME_CURL')}${CURL} > /dev/null`;
}

/** `curl <every page> | jq -c "$FILTER" > $OUT` (default /dev/null). */
export function jqPagesScript() {
  return `set -eo pipefail; ${timed('TIME_CURL')}${CURL} | ${timed('TIME_JQ')}jq -c "$FILTER" > "\${OUT:-/dev/null}"`;
}

/**
 * Runs one of the scripts; resolves `{ wallMs, curl: { cpuMs, rssKib }, jq: { cpuMs, rssKib } }`
 * (jq's undefined for the raw script). Rejects when the pipeline fails.
 * @param {string} script
 * @param {{ urlsPath: string, token: string, caPath: string, filter?: string, out?: string | undefined }} options
 */
export async function runPages(script, { urlsPath, token, caPath, filter = '.value[]', out }) {
  const files = { TIME_CURL: rssFile(), TIME_JQ: rssFile() };
  /** @type {NodeJS.ProcessEnv} */
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', URLS: urlsPath, T: token, CA: caPath, FILTER: filter, ...files };
  if (out !== undefined) env.OUT = out;
  const result = await measure('/bin/bash', ['-c', script], { env, rss: false });
  const curl = readTimeReport(files.TIME_CURL);
  const jq = readTimeReport(files.TIME_JQ);
  if (result.code !== 0) throw new Error(`shell pipeline failed (exit ${result.code}): ${result.stderr}`);
  return { wallMs: result.wallMs, curl, jq };
}
