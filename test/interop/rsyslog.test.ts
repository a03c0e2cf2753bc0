/**
 * Interop with a real syslog server: the CLI's CEF and LEEF lines sent the way the README shows —
 * util-linux `logger` reading them from a pipe, RFC 5424 over TCP with octet counting (RFC 6587) —
 * into rsyslog (Debian's package, installed by .ci/run) listening on a loopback port, which writes
 * each message to a file. Every alert's line must arrive intact. Run by `npm run test:interop`,
 * not by `npm test` (which needs no system package).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => spawnSync(p, ['-v']).status === 0);
const LOGGER = spawnSync('logger', ['--help']).status === 0 ? 'logger' : undefined;

let sim: Simulator;
let dir: string;
let rsyslog: ChildProcess | undefined;
let port = 0;
let received: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const p = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  if (RSYSLOGD === undefined || LOGGER === undefined)
    throw new Error('the interop tests need rsyslogd and logger (.ci/run installs rsyslog)');
  sim = await startSimulator({ https: false, seed: 21, alerts: 60, windowHours: 2 });
  dir = await mkdtemp(join(tmpdir(), 'defender-rsyslog-'));
  port = await freePort();
  received = join(dir, 'received.log');
  // Only the message, one per line; control characters (a LEEF tab) kept as they came, and room
  // for long alerts (rsyslog's default limit is 8 KiB).
  await writeFile(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}" maxMessageSize="256k" parser.escapeControlCharactersOnReceive="off")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="${port}")
template(name="msgonly" type="string" string="%msg%\\n")
*.* action(type="omfile" file="${received}" template="msgonly")
`,
  );
  rsyslog = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
  // Wait until it listens.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => resolve(socket.end() !== undefined));
      socket.on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 30_000);

afterAll(async () => {
  rsyslog?.kill('SIGTERM');
  await sim?.close();
});

/** Pipes the CLI's output through logger into rsyslog and returns what rsyslog wrote, once all arrived. */
async function throughSyslog(lines: string[]): Promise<string[]> {
  const before = (await readFile(received, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').length;
  const logger = spawnSync(
    LOGGER ?? 'logger',
    ['--rfc5424', '--octet-count', '-T', '-n', '127.0.0.1', '-P', String(port), '-t', 'defender-alerts'],
    {
      input: `${lines.join('\n')}\n`,
    },
  );
  expect(logger.status, logger.stderr?.toString()).toBe(0);
  for (let i = 0; i < 200; i++) {
    const all = (await readFile(received, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    if (all.length >= before + lines.length) return all.slice(before);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('rsyslog did not write every message within 10 s');
}

describe('through logger and rsyslog', () => {
  for (const format of ['cef', 'leef'] as const) {
    for (const api of ['siem', 'mde', 'graph'] as const) {
      it(`--api ${api} --format ${format}: every alert's line arrives intact`, async () => {
        const pulled = await runCli(['pull', '--api', api, '--since', '3h', '--format', format], { env: simEnv(sim), timeoutMs: 60_000 });
        expect(pulled.code, pulled.stderr).toBe(0);
        const lines = pulled.stdout.split('\n').filter((l) => l !== '');
        expect(lines.length).toBeGreaterThan(10);
        expect(await throughSyslog(lines)).toEqual(lines);
      }, 60_000);
    }
  }
});
