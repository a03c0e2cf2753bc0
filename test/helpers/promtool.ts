/**
 * promtool, Prometheus' own checker of the text exposition format (`promtool check metrics`):
 * `.ci/run` extracts it from Debian's prometheus package into .ci/tools/ and requires it; elsewhere
 * it is found on PATH or at $PROMTOOL, and the tests that need it are skipped without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUNDLED = fileURLToPath(new URL('../../.ci/tools/usr/bin/promtool', import.meta.url));

function find(): string | undefined {
  const candidates = [process.env['PROMTOOL'], BUNDLED, 'promtool'].filter((c): c is string => c !== undefined && c !== '');
  for (const c of candidates) {
    if (c !== 'promtool' && !existsSync(c)) continue;
    if (spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) return c;
  }
  if (process.env['DEFENDER_REQUIRE_PROMTOOL']) throw new Error('promtool is required here (DEFENDER_REQUIRE_PROMTOOL) but was not found');
  return undefined;
}

export const PROMTOOL = find();

/** `promtool check metrics` of `text`: its exit status and what it said (lint problems on stdout or stderr). */
export function checkMetrics(text: string): { status: number | null; output: string } {
  if (PROMTOOL === undefined) throw new Error('promtool not available');
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
