/**
 * Signals: Ctrl-C and SIGTERM stop a run within a second whatever it waits on (the
 * token, the headers, a body that never ends), exit 130/143, end the output cleanly, and leave
 * an --output file as it was.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import {
  alert,
  completeAlerts,
  head,
  hostileEnv,
  isTokenRequest,
  startHostileServer,
  withTokens,
  type Script,
} from '../helpers/hostile-server.js';

/** A generous bound: everything the CLI could wait on here takes 30 s or more. */
const STOP_BOUND_MS = 5_000;

/** An answer that sends two alerts and then never ends. */
const twoAlertsThenHang: Script = (_req, socket) => {
  socket.write(head(200, { 'content-type': 'application/json' }) + `[${JSON.stringify(alert(1))},\n${JSON.stringify(alert(2))},\n`);
};

/**
 * Runs pull against `script`, sends `signal` once `when` says so (stderr or stdout text seen),
 * and measures from the signal to the exit.
 */
async function stopWith(
  script: Script,
  signal: NodeJS.Signals,
  when: { stream: 'stdout' | 'stderr'; text: string },
  args: string[] = [],
): Promise<{ result: CliResult; stopMs: number }> {
  const server = await startHostileServer(script);
  let signalledAt = 0;
  try {
    const result = await runCli(['pull', '--timeout', '60', ...args], {
      env: hostileEnv(server),
      onSpawn: (child: ChildProcess) => {
        let seen = '';
        child[when.stream]?.on('data', (d: Buffer) => {
          seen += String(d);
          if (signalledAt === 0 && seen.includes(when.text)) {
            signalledAt = performance.now();
            child.kill(signal);
          }
        });
      },
    });
    return { result, stopMs: performance.now() - signalledAt };
  } finally {
    await server.close();
  }
}

function expectStopped(result: CliResult, signal: 'SIGINT' | 'SIGTERM', stopMs: number): void {
  expect(result.code, result.stderr.slice(-1000)).toBe(signal === 'SIGINT' ? 130 : 143);
  expect(result.stderr).toContain(`defender-alerts: ${signal} received, stopping`);
  expect(result.stderr).not.toContain('internal error');
  expect(stopMs).toBeLessThan(STOP_BOUND_MS);
}

describe('signals', () => {
  it('SIGINT while the token request hangs: exit 130', async () => {
    const { result, stopMs } = await stopWith(() => {}, 'SIGINT', { stream: 'stderr', text: 'requesting access token' });
    expectStopped(result, 'SIGINT', stopMs);
    expect(result.stdout).toBe('');
  });

  it('SIGTERM while waiting for the response headers: exit 143', async () => {
    const { result, stopMs } = await stopWith(
      withTokens(() => {}),
      'SIGTERM',
      { stream: 'stderr', text: 'requesting alerts' },
    );
    expectStopped(result, 'SIGTERM', stopMs);
    expect(result.stdout).toBe('');
  });

  it('SIGTERM mid-body with --format ndjson: exit 143, every line a whole alert', async () => {
    const { result, stopMs } = await stopWith(withTokens(twoAlertsThenHang), 'SIGTERM', { stream: 'stdout', text: '\n' }, [
      '--format',
      'ndjson',
    ]);
    expectStopped(result, 'SIGTERM', stopMs);
    expect(completeAlerts(result.stdout, 'ndjson')).toHaveLength(2);
  });

  // A signal must not leave the JSON array unclosed: sink.finish() ends it.
  it('SIGINT mid-body with --format json: exit 130 and stdout is a closed JSON array', async () => {
    const { result, stopMs } = await stopWith(withTokens(twoAlertsThenHang), 'SIGINT', { stream: 'stdout', text: 'AlertId' });
    expectStopped(result, 'SIGINT', stopMs);
    expect(completeAlerts(result.stdout, 'json')).toHaveLength(2);
  });

  it('SIGTERM mid-body with --output: the existing file is untouched and no temp file is left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-alerts-signal-'));
    const target = join(dir, 'alerts.json');
    await writeFile(target, '[{"previous":"run"}]\n');
    const server = await startHostileServer(withTokens(twoAlertsThenHang));
    try {
      let signalledAt = 0;
      const result = await runCli(['pull', '--output', target], {
        env: hostileEnv(server),
        onSpawn: (child) => {
          const poll = setInterval(() => {
            void readdir(dir).then((names) => {
              if (signalledAt === 0 && names.some((n) => n.endsWith('.tmp')) && server.apiRequests().length > 0) {
                signalledAt = performance.now();
                clearInterval(poll);
                // Give the two alerts a moment to reach the temp file; any time is correct.
                setTimeout(() => child.kill('SIGTERM'), 200);
              }
            });
          }, 20);
          child.on('close', () => clearInterval(poll));
        },
      });
      expectStopped(result, 'SIGTERM', performance.now() - signalledAt);
      expect(await readFile(target, 'utf8')).toBe('[{"previous":"run"}]\n');
      expect(await readdir(dir)).toEqual(['alerts.json']);
    } finally {
      await server.close();
    }
  });

  it('a second Ctrl-C ends the process at once', async () => {
    const server = await startHostileServer((req, socket) => {
      if (!isTokenRequest(req)) socket.end();
    });
    try {
      const result = await runCli(['pull'], {
        env: hostileEnv(server),
        onSpawn: (child) => {
          child.stderr?.on('data', (d: Buffer) => {
            if (String(d).includes('requesting access token')) {
              child.kill('SIGINT');
              child.kill('SIGINT');
            }
          });
        },
      });
      expect(result.code).toBe(130);
      expect(result.stderr).not.toContain('internal error');
    } finally {
      await server.close();
    }
  });
});
