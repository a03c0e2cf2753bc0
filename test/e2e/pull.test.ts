/**
 * End to end: the built CLI, spawned as a real process, against the simulator over HTTPS on
 * loopback. Each test states one behaviour of the command-line contract (README.md).
 */
import { mkdtemp, readFile, stat, writeFile, chmod, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { baseEnv, lastErrorLine, runCli } from '../helpers/cli.js';
import { fetchDirect, simEnv, tokensSeen } from '../helpers/sim-env.js';

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ alerts: 40, seed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-e2e-'));
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.faults.clear();
  sim.stats.reset();
});

const canonical = (text: string): string[] => (JSON.parse(text) as unknown[]).map((a) => JSON.stringify(a));

describe('pull: success', () => {
  it('writes exactly the alerts the API returns, as one JSON array, keys and values unchanged', async () => {
    const [direct, result] = await Promise.all([fetchDirect(sim, 'ago=PT3H'), runCli(['pull', '--ago', 'PT3H'], { env: simEnv(sim) })]);
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    const ours = canonical(result.stdout);
    expect(ours.length).toBeGreaterThan(30);
    expect(ours).toEqual(canonical(direct));
    // 7-digit fractional seconds reach the output untouched.
    expect(result.stdout).toMatch(/"LastProcessedTimeUtc":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z"/);
  });

  it('writes one alert per line with --format ndjson', async () => {
    const result = await runCli(['pull', '--since', '3h', '--format', 'ndjson'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('AlertId');
  });

  it('sends only the parameters given, times as ISO-8601 UTC, machine groups repeated', async () => {
    const result = await runCli(
      [
        'pull',
        '--since',
        '2024-05-01T10:00:00+02:00',
        '--until',
        '2024-05-01T09:00:00Z',
        '--limit',
        '5',
        '--machine-group',
        'UK',
        '--machine-group',
        'FR',
        '--device-tag',
        'VIP',
        '--cloud-tag',
        'Lab',
      ],
      { env: simEnv(sim) },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('[]\n');
    const [req] = sim.stats.of('alerts');
    expect(req?.query).toEqual({
      sinceTimeUtc: ['2024-05-01T08:00:00.000Z'],
      untilTimeUtc: ['2024-05-01T09:00:00.000Z'],
      limit: ['5'],
      machinegroups: ['UK', 'FR'],
      DeviceCreatedMachineTags: ['VIP'],
      CloudCreatedMachineTags: ['Lab'],
    });
  });

  it('asks for nothing the user did not give (the API then applies its own two-hour default)', async () => {
    const result = await runCli(['pull'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    expect(sim.stats.of('alerts')[0]?.query).toEqual({});
  });

  it('requests the v1 token with client credentials and the default resource, and sends it as a bearer token', async () => {
    const result = await runCli(['pull', '--limit', '1'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const [tokenReq] = sim.stats.of('token');
    expect(tokenReq?.path).toBe(`/${sim.credentials.tenantId}/oauth2/token`);
    expect(tokenReq?.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(sim.stats.of('alerts')[0]?.headers['authorization']).toMatch(/^Bearer \S+$/);
  });

  it('accepts the tenant as a verified domain and the resource of SIEM-wizard apps', async () => {
    const result = await runCli(
      ['pull', '--limit', '1', '--tenant', sim.credentials.tenantDomain, '--resource', 'https://graph.windows.net'],
      {
        env: simEnv(sim),
      },
    );
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
  });

  it('writes --output atomically and leaves no temp file behind', async () => {
    const target = join(dir, 'alerts.json');
    const result = await runCli(['pull', '--since', '3h', '--output', target], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect((JSON.parse(await readFile(target, 'utf8')) as unknown[]).length).toBeGreaterThan(30);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads the secret from a file (trailing newline trimmed) and from stdin', async () => {
    const secretFile = join(dir, 'secret');
    await writeFile(secretFile, `${sim.credentials.clientSecret}\n`, { mode: 0o600 });
    const env = simEnv(sim, { AZURE_CLIENT_SECRET: undefined });
    const fromFile = await runCli(['pull', '--limit', '1', '--client-secret-file', secretFile], { env });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).not.toContain('readable by other users');
    const fromStdin = await runCli(['pull', '--limit', '1', '--client-secret-file', '-'], {
      env,
      stdin: `${sim.credentials.clientSecret}\r\n`,
    });
    expect(fromStdin.code).toBe(0);
  });

  it('warns when the secret file is readable by others, and when the secret is on the command line', async () => {
    const secretFile = join(dir, 'open-secret');
    await writeFile(secretFile, sim.credentials.clientSecret);
    await chmod(secretFile, 0o644);
    const env = simEnv(sim, { AZURE_CLIENT_SECRET: undefined });
    const open = await runCli(['pull', '--limit', '1', '--client-secret-file', secretFile], { env });
    expect(open.code).toBe(0);
    expect(open.stderr).toContain('chmod 600');
    const onCommandLine = await runCli(['pull', '--limit', '1', '--client-secret', sim.credentials.clientSecret], { env });
    expect(onCommandLine.code).toBe(0);
    expect(onCommandLine.stderr).toContain('other local users can see it');
    expect(onCommandLine.stderr).not.toContain(sim.credentials.clientSecret);
  });

  it('loads --env-file, with the environment winning over it and flags over both', async () => {
    const envFile = join(dir, 'defender.env');
    await writeFile(
      envFile,
      [
        `AZURE_TENANT_ID=${sim.credentials.tenantId}`,
        `AZURE_CLIENT_ID=${sim.credentials.clientId}`,
        `AZURE_CLIENT_SECRET="${sim.credentials.clientSecret}"`,
        `DEFENDER_BASE_URL=${sim.url}`,
        'AZURE_AUTHORITY_HOST=https://login.invalid',
        'DEFENDER_LOG_LEVEL=error',
      ].join('\n'),
      { mode: 0o600 },
    );
    const env = baseEnv({ NODE_EXTRA_CA_CERTS: sim.caCertPath, AZURE_AUTHORITY_HOST: sim.url });
    const result = await runCli(['pull', '--limit', '1', '--env-file', envFile, '--log-level', 'debug'], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('"level":20'); // the flag's debug won over the file's error
    expect(result.stderr).not.toContain('readable by other users');

    // The same file, readable by others while it holds the secret: a warning that says how to fix it.
    await chmod(envFile, 0o644);
    const exposed = await runCli(['pull', '--limit', '1', '--env-file', envFile, '--log-level', 'warn'], { env });
    expect(exposed.code).toBe(0);
    expect(exposed.stderr).toContain('holds AZURE_CLIENT_SECRET and is readable by other users (mode 644); run: chmod 600');
  });
});

describe('pull: exit codes', () => {
  it('2: reports every missing setting at once, naming flag and variable, before any request', async () => {
    const result = await runCli(['pull'], { env: baseEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tenant (or AZURE_TENANT_ID): required');
    expect(result.stderr).toContain('--client-id (or AZURE_CLIENT_ID): required');
    expect(result.stderr).toContain('--region (or DEFENDER_REGION)');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('2: refuses an invalid tenant before any request', async () => {
    const result = await runCli(['pull', '--tenant', 'evil.example/../x'], { env: simEnv(sim) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tenant');
    expect(sim.stats.requests).toHaveLength(0);
  });

  it('2: an unknown flag, with a pointer to --help', async () => {
    const result = await runCli(['pull', '--sincee', '2h'], { env: simEnv(sim) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--sincee'");
  });

  it('2: an unreadable secret file or env file names the file', async () => {
    const missing = join(dir, 'nope');
    const a = await runCli(['pull', '--client-secret-file', missing], { env: simEnv(sim, { AZURE_CLIENT_SECRET: undefined }) });
    expect(a.code).toBe(2);
    expect(lastErrorLine(a.stderr)).toContain(`cannot read --client-secret-file "${missing}": no such file`);
    const b = await runCli(['pull'], { env: simEnv(sim, { DEFENDER_ENV_FILE: dir }) });
    expect(b.code).toBe(2);
    expect(lastErrorLine(b.stderr)).toContain(`cannot read --env-file "${dir}": it is a directory`);
  });

  it("--env-file naming a missing file: exit 2 with our own message, not Node's exit 9", async () => {
    const missing = join(dir, 'missing.env');
    const result = await runCli(['pull', '--env-file', missing], { env: simEnv(sim) });
    expect([result.code, lastErrorLine(result.stderr)]).toEqual([
      2,
      expect.stringContaining(`defender-alerts: cannot read --env-file "${missing}": no such file`),
    ]);
  });

  it('3: a wrong secret gives the AADSTS code, its first sentence, the trace id and a hint', async () => {
    const result = await runCli(['pull'], { env: simEnv(sim, { AZURE_CLIENT_SECRET: 'wrong-secret-value' }) });
    expect(result.code).toBe(3);
    expect(lastErrorLine(result.stderr)).toMatch(
      /defender-alerts: Entra ID refused the sign-in: AADSTS7000215: Invalid client secret provided\. \(trace id [0-9a-f-]+\) — .*Secret ID/,
    );
    expect(result.stderr).not.toContain('wrong-secret-value');
    expect(sim.stats.count('alerts')).toBe(0);
  });

  it('3: an unknown application', async () => {
    const result = await runCli(['pull'], { env: simEnv(sim, { AZURE_CLIENT_ID: '11111111-1111-4111-8111-111111111111' }) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('AADSTS700016');
  });

  it('3: the API answers 401', async () => {
    sim.faults.push({ status: 401, body: '{"error":{"code":"Unauthorized","message":"invalid token"}}' });
    const result = await runCli(['pull'], { env: simEnv(sim) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('rejected the access token (HTTP 401)');
    expect(sim.stats.count('alerts')).toBe(1); // never retried
  });

  it('4: the API answers 403', async () => {
    sim.faults.push({ status: 403, body: '{}' });
    const result = await runCli(['pull'], { env: simEnv(sim) });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('HTTP 403');
    expect(sim.stats.count('alerts')).toBe(1);
  });

  it('5: 500 on every attempt — retried --max-retries times, counted at the server', async () => {
    sim.faults.push({ status: 500, times: 10 });
    const result = await runCli(['pull', '--max-retries', '2'], { env: simEnv(sim) });
    expect(result.code).toBe(5);
    expect(sim.stats.count('alerts')).toBe(3);
    expect(result.stderr).toContain('after 3 attempts');
    expect(result.stdout).toBe('');
  });

  it('5: 404 says the SIEM API is retired and names the successors', async () => {
    sim.faults.push({ status: 404, body: 'Not Found', contentType: 'text/plain' });
    const result = await runCli(['pull'], { env: simEnv(sim) });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('retired');
    expect(result.stderr).toContain('alerts_v2');
    expect(sim.stats.count('alerts')).toBe(1);
  });

  it('6: an untrusted certificate names NODE_EXTRA_CA_CERTS', async () => {
    const result = await runCli(['pull'], { env: simEnv(sim, { NODE_EXTRA_CA_CERTS: undefined }) });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('65: a 200 answer that is an HTML page, on every attempt', async () => {
    sim.faults.push({ body: '<html><body>Service unavailable</body></html>', contentType: 'text/html', times: 5 });
    const result = await runCli(['pull', '--max-retries', '1'], { env: simEnv(sim) });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('<html>');
    expect(sim.stats.count('alerts')).toBe(2);
  });

  it('65: invalid alerts are reported with their id and path, the valid ones still written', async () => {
    const own = await startSimulator({ alerts: 0, includeExamples: false });
    const now = new Date(Date.now() - 1000).toISOString().replace('Z', '0000Z');
    own.store.add([
      { AlertId: 'da000000000000000000_9', LastProcessedTimeUtc: now, FullId: 'da000000000000000000_9:x' },
      { AlertId: 'da000000000000000000_1', LastProcessedTimeUtc: now, AlertPart: 'not-a-number' },
      { AlertId: '', LastProcessedTimeUtc: now },
    ]);
    const result = await runCli(['pull', '--since', '1m'], { env: simEnv(own) }).finally(() => own.close());
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('da000000000000000000_1');
    expect(result.stderr).toContain('AlertPart');
    expect(result.stderr).toContain('2 alert(s) failed validation');
    expect((JSON.parse(result.stdout) as Array<{ AlertId: string }>).map((a) => a.AlertId)).toEqual(['da000000000000000000_9']);
  });
});

describe('pull: resilience', () => {
  it('retries a 503 and succeeds: two requests at the server, complete output', async () => {
    sim.faults.push({ status: 503 });
    const result = await runCli(['pull', '--since', '3h'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    expect(sim.stats.count('alerts')).toBe(2);
    expect(canonical(result.stdout).length).toBeGreaterThan(30);
  });

  it('honours Retry-After on 429', async () => {
    sim.faults.push({ status: 429, retryAfter: '1' });
    const result = await runCli(['pull', '--since', '3h'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const [first, second] = sim.stats.of('alerts');
    expect(Date.parse(second!.receivedAt) - Date.parse(first!.receivedAt)).toBeGreaterThanOrEqual(900);
  });

  it('ends quietly with exit 0 when the reader closes the pipe (| head)', async () => {
    const result = await runCli(['pull', '--since', '3h', '--format', 'ndjson'], {
      env: simEnv(sim),
      onSpawn: (child) => {
        child.stdout?.once('data', () => child.stdout?.destroy());
      },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.stderr).not.toContain('EPIPE');
  });
});

describe('secrets', () => {
  it('never prints the secret or the access token, at trace, on success or failure', async () => {
    const ok = await runCli(['pull', '--since', '3h', '--log-level', 'trace'], { env: simEnv(sim) });
    sim.faults.push({ status: 401 });
    const failed = await runCli(['pull', '--log-level', 'trace'], { env: simEnv(sim) });
    const tokens = tokensSeen(sim);
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    for (const output of [ok.stdout, ok.stderr, failed.stdout, failed.stderr]) {
      expect(output).not.toContain(sim.credentials.clientSecret);
      for (const token of tokens) expect(output).not.toContain(token);
    }
    expect(ok.stderr).toContain('"level":10'); // trace logging really was on
  });
});

describe('token', () => {
  it('prints token_type, expires_on and access_token as JSON', async () => {
    const result = await runCli(['token'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, string>;
    expect(Object.keys(out)).toEqual(['token_type', 'expires_on', 'access_token']);
    expect(out['token_type']).toBe('Bearer');
    expect(Number(out['expires_on'])).toBeGreaterThan(Date.now() / 1000);
    expect(tokensSeen(sim)).toEqual([]); // the token endpoint is not the API
  });
});

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('pull --help shows every option with its variable, examples and where the exit codes are', async () => {
    const result = await runCli(['pull', '--help']);
    expect(result.code).toBe(0);
    for (const text of [
      '--tenant',
      'AZURE_TENANT_ID',
      '--client-secret-file',
      '--region',
      '--format',
      'jq',
      '*/5 * * * *',
      'defender-alerts help exit-codes',
    ]) {
      expect(result.stdout).toContain(text);
    }
  });

  it('no command: exit 2, the commands named on stderr (the help itself on a terminal)', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pull');
  });
});
