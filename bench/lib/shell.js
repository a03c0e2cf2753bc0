/**
 * The alternatives users reach for, as shell command lines: `curl | jq -c '.[]'` and raw `curl`.
 * URL, token and CA file are passed in the environment ($URL, $T, $CA), never spliced into the
 * script. With GNU time, each stage's peak RSS is written to its own file ($RSS_CURL, $RSS_JQ).
 */
import { HAVE_GNU_TIME, GNU_TIME, measureShell, readRss, rssFile } from './proc.js';

const timed = (/** @type {string} */ variable) => (HAVE_GNU_TIME ? `${GNU_TIME} -f %M -o "$${variable}" ` : '');
const CURL = 'curl -s --fail --cacert "$CA" -H "Authorization: Bearer $T" "$URL"';

/** `curl … | jq -c '.[]' > $OUT` (default /dev/null). */
export function pipelineScript() {
  return `set -e; ${timed('RSS_CURL')}${CURL} | ${timed('RSS_JQ')}jq -c '.[]' > "\${OUT:-/dev/null}"`;
}

/** `curl … > /dev/null`: the cost of the transfer itself. */
export function rawCurlScript() {
  return `set -e; ${timed('RSS_CURL')}${CURL} > /dev/null`;
}

/**
 * Runs one of the scripts against `url` with `token`; resolves with wall time and per-stage RSS.
 * @param {string} script
 * @param {{ url: string, token: string, caPath: string, out?: string }} options
 */
export async function runScript(script, { url, token, caPath, out }) {
  const files = { RSS_CURL: rssFile(), RSS_JQ: rssFile() };
  /** @type {NodeJS.ProcessEnv} */
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', URL: url, T: token, CA: caPath, ...files };
  if (out !== undefined) env.OUT = out;
  const result = await measureShell(script, { env });
  if (result.code !== 0) throw new Error(`shell pipeline failed (exit ${result.code}): ${result.stderr}`);
  return { wallMs: result.wallMs, curlRssKib: readRss(files.RSS_CURL), jqRssKib: readRss(files.RSS_JQ) };
}
