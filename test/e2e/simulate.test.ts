/**
 * `defender-alerts simulate` as users run it: a separate process that prints one JSON line with
 * its URL and test credentials; `pull` pointed at that line's values works, over HTTP and HTTPS.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, CLI, lastErrorLine, runCli } from '../helpers/cli.js';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

async function startSimulateProcess(args: string[]): Promise<Record<string, string>> {
  const child = spawn(process.execPath, [CLI, 'simulate', '--port', '0', ...args], { env: baseEnv() });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulate exited with ${code}`)));
  });
  return JSON.parse(line) as Record<string, string>;
}

function envFrom(info: Record<string, string>): Record<string, string> {
  return baseEnv({
    AZURE_TENANT_ID: info['tenantId'],
    AZURE_CLIENT_ID: info['clientId'],
    AZURE_CLIENT_SECRET: info['clientSecret'],
    NODE_EXTRA_CA_CERTS: info['caCertPath'],
  });
}

describe('simulate', () => {
  it('prints its URL and published test credentials, and serves pull over HTTPS', async () => {
    const info = await startSimulateProcess(['--alerts', '5', '--seed', '3']);
    expect(info).toMatchObject({
      tenantId: expect.any(String),
      clientId: expect.any(String),
      clientSecret: expect.any(String),
      caCertPath: expect.any(String),
    });
    expect(info['url']).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const result = await runCli(['pull', '--since', '3h', '--base-url', info['url']!, '--authority-host', info['authorityHost']!], {
      env: envFrom(info),
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as unknown[]).length).toBeGreaterThanOrEqual(5);
  });

  it('serves plain HTTP with --http, and injects 429s with --throttle that pull waits out within its budget', async () => {
    const info = await startSimulateProcess(['--http', '--alerts', '3', '--throttle', '1']);
    expect(info['url']).toMatch(/^http:\/\//);
    expect(info['caCertPath']).toBeUndefined();
    const result = await runCli(
      [
        'pull',
        '--since',
        '3h',
        '--max-retries',
        '0',
        '--max-throttle-wait',
        '2s',
        '--base-url',
        info['url']!,
        '--authority-host',
        info['url']!,
      ],
      { env: envFrom(info) },
    );
    // Every request is throttled (Retry-After: 1): two waits fit the budget, the third does not: exit 5.
    expect(result.code).toBe(5);
    expect(result.stderr.split('\n').filter((l) => l.includes('as the server asked'))).toHaveLength(2);
    expect(lastErrorLine(result.stderr)).toMatch(/defender-alerts: .*HTTP 429.*--max-throttle-wait 2s/);
  });

  it("switches on the real services' quirks: next links left out, another client's quota, one shared update time", async () => {
    const info = await startSimulateProcess([
      '--http',
      '--alerts',
      '60',
      '--mde-no-next-link',
      '--mde-unordered',
      '--quota-used',
      '1500',
      '--shared-update-time',
      '7',
    ]);
    const env = envFrom(info);
    const base = ['--since', '3h', '--base-url', info['url']!, '--authority-host', info['url']!];
    // The hourly quota is used up by "another client": the wait asked for is far beyond a 5s budget.
    const mde = await runCli(['pull', '--api', 'mde', '--max-throttle-wait', '5s', ...base], { env });
    expect(mde.code).toBe(5);
    expect(mde.stderr).toMatch(/maximum allowed 1500 per 01:00:00/);
    const graph = await runCli(['pull', '--api', 'graph', '--format', 'ndjson', '--page-size', '5', ...base], { env });
    expect(graph.code).toBe(0);
    const times = graph.stdout
      .trim()
      .split('\n')
      .map((l) => String((JSON.parse(l) as Record<string, unknown>)['lastUpdateDateTime']));
    expect(Math.max(...[...new Set(times)].map((t) => times.filter((x) => x === t).length))).toBe(7);
  });

  it('refuses invalid options with exit 2', async () => {
    const result = await runCli(['simulate', '--fail-rate', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--fail-rate');
  });
});

describe('output closed early', () => {
  it('help into a closed pipe ends quietly with exit 0', async () => {
    const result = await runCli(['pull', '--help'], { onSpawn: (child) => child.stdout?.destroy() });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('EPIPE');
  });
});
