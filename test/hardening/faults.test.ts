/**
 * Fault injection: the built CLI against a loopback server scripted byte by byte.
 * Every case states the exit code, the one-line message, that stdout holds only complete valid
 * alerts, and that neither the client secret nor any issued token leaked.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import {
  alert,
  completeAlerts,
  failureLine,
  head,
  HOSTILE_CREDENTIALS,
  hostileEnv,
  respond,
  startHostileServer,
  withTokens,
  type HostileServer,
  type Script,
} from '../helpers/hostile-server.js';

interface Expectation {
  code: number;
  /** Matched against the one `defender-alerts:` line (absent for exit 0). */
  message?: RegExp;
  format?: 'json' | 'ndjson';
  /** How many alerts stdout must hold. */
  alerts?: number;
  allowUnclosed?: boolean;
}

/** Runs `pull` against a hostile server answering token requests normally and the API with `api`. */
async function pullAgainst(
  api: Script,
  args: string[],
  run: (server: HostileServer, tokens: string[]) => Promise<CliResult> = (server) => runCli(['pull', ...args], { env: hostileEnv(server) }),
): Promise<{ result: CliResult; server: HostileServer; tokens: string[] }> {
  const tokens: string[] = [];
  const server = await startHostileServer(withTokens(api, tokens));
  try {
    const result = await run(server, tokens);
    return { result, server, tokens };
  } finally {
    await server.close();
  }
}

/** The four checks every case makes. */
function check(result: CliResult, tokens: string[], want: Expectation): Array<Record<string, unknown>> {
  expect(result.stderr, result.stderr.slice(-1500)).not.toContain('internal error');
  expect(result.code, result.stderr.slice(-1500)).toBe(want.code);
  if (want.code === 0) {
    expect(result.stderr).not.toContain('"exitCode"');
  } else {
    expect(failureLine(result.stderr)).toMatch(want.message ?? /./);
  }
  const alerts = completeAlerts(result.stdout, want.format ?? 'json', { allowUnclosed: want.allowUnclosed ?? want.code !== 0 });
  if (want.alerts !== undefined) expect(alerts).toHaveLength(want.alerts);
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toContain(HOSTILE_CREDENTIALS.clientSecret);
    for (const token of tokens) expect(text).not.toContain(token);
  }
  return alerts;
}

const arrayOf = (alerts: unknown[]): string => JSON.stringify(alerts);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('transport faults (exit 6)', () => {
  it('connection refused: retried, then exit 6 naming the host', async () => {
    const port = await closedPort();
    const { result, tokens } = await pullAgainst(
      () => {},
      [],
      (server) => runCli(['pull', '--max-retries', '1', '--base-url', `http://127.0.0.1:${port}`], { env: hostileEnv(server) }),
    );
    check(result, tokens, { code: 6, message: new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`), alerts: 0 });
  });

  it('reset before the headers: retried, then exit 6', async () => {
    const { result, server, tokens } = await pullAgainst((_req, socket) => void socket.resetAndDestroy(), ['--max-retries', '2']);
    check(result, tokens, { code: 6, message: /closed unexpectedly/, alerts: 0 });
    expect(server.apiRequests()).toHaveLength(3);
  });

  const cutBody = `[${arrayOf([alert(1), alert(2), alert(3)]).slice(1, -1)},{"AlertId":"da_cut`;
  const firstThree = [alert(1), alert(2), alert(3)].map((a) => a['AlertId']);

  it('reset mid-body (Content-Length promised more) on every attempt: the alerts before the cut are written once, then exit 6', async () => {
    const { result, server, tokens } = await pullAgainst(
      (_req, socket) => {
        socket.write(head(200, { 'content-length': cutBody.length + 1000 }) + cutBody, () => socket.resetAndDestroy());
      },
      ['--max-retries', '2', '--format', 'ndjson'],
    );
    const alerts = check(result, tokens, { code: 6, message: /closed unexpectedly|cut off/, format: 'ndjson', alerts: 3 });
    expect(alerts.map((a) => a['AlertId'])).toEqual(firstThree);
    expect(server.apiRequests()).toHaveLength(3);
  });

  it('an answer without Content-Length that stops mid-array on every attempt: exit 65, "ended early"', async () => {
    // With neither Content-Length nor chunked framing, the close *is* the end of the body for
    // HTTP; only the JSON tells it was cut, so this is a broken answer (retried, then 65).
    const { result, server, tokens } = await pullAgainst(
      (_req, socket) => {
        socket.end(head(200) + cutBody);
      },
      ['--max-retries', '2', '--format', 'ndjson'],
    );
    const alerts = check(result, tokens, {
      code: 65,
      message: /ended early, after \d+ bytes and 3 complete alerts \(connection cut\?\) \(after 3 attempts\)/,
      format: 'ndjson',
      alerts: 3,
    });
    expect(alerts.map((a) => a['AlertId'])).toEqual(firstThree);
    expect(server.apiRequests()).toHaveLength(3);
  });

  it('reset mid-body once: the retry completes the answer without writing any alert twice', async () => {
    const all = [1, 2, 3, 4, 5].map((n) => alert(n));
    const { result, server, tokens } = await pullAgainst((req, socket) => {
      if (req.seq === 2) {
        socket.write(head(200) + `[${JSON.stringify(all[0])},${JSON.stringify(all[1])},{"Al`, () => socket.resetAndDestroy());
      } else {
        respond(socket, 200, arrayOf(all));
      }
    }, []);
    const alerts = check(result, tokens, { code: 0, alerts: 5 });
    expect(alerts).toEqual(all);
    expect(server.apiRequests()).toHaveLength(2);
  });

  it('slow headers: --timeout fires, retried, then exit 6 naming --timeout', async () => {
    const { result, server, tokens } = await pullAgainst(() => {}, ['--timeout', '0.5', '--max-retries', '1']);
    check(result, tokens, { code: 6, message: /sent no response within 0\.5 s; raise --timeout/, alerts: 0 });
    expect(server.apiRequests()).toHaveLength(2);
  });

  it('a body that stops mid-way: the between-chunk timeout fires (exit 6)', async () => {
    const { result, tokens } = await pullAgainst(
      (_req, socket) => {
        socket.write(head(200) + `[${JSON.stringify(alert(1))},`);
      },
      ['--timeout', '0.5', '--max-retries', '0'],
    );
    check(result, tokens, { code: 6, message: /stopped sending its answer/, alerts: 1 });
  });

  it('a body that trickles one byte per second never resets the timeout forever: exit 6 within the window', async () => {
    // A byte every second defeats a pure between-chunk timeout of 2 s; the minimum-progress rule
    // in src/http/send.ts ends it after one window, so a cron slot is never held.
    const { result, tokens } = await pullAgainst(
      (_req, socket) => {
        socket.write(head(200) + '[');
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(' ')), 1000);
        socket.on('close', () => clearInterval(timer));
      },
      ['--timeout', '2', '--max-retries', '0'],
    );
    check(result, tokens, { code: 6, message: /too slowly/, alerts: 0 });
  });

  it('an answer that is not HTTP at all: exit 6, malformed answer', async () => {
    const { result, tokens } = await pullAgainst((_req, socket) => void socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'), ['--max-retries', '0']);
    check(result, tokens, { code: 6, message: /malformed HTTP answer/, alerts: 0 });
  });
});

describe('hostile bodies', () => {
  it('a single 50 MB alert is written whole (exit 0)', async () => {
    const big = alert(1, { Description: 'x'.repeat(50 * 1024 * 1024) });
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, arrayOf([big, alert(2)])), ['--format', 'ndjson']);
    const alerts = check(result, tokens, { code: 0, format: 'ndjson', alerts: 2 });
    expect((alerts[0]!['Description'] as string).length).toBe(50 * 1024 * 1024);
  });

  it('JSON nested 100 000 deep: refused without a stack overflow (exit 65)', async () => {
    const deep = `[{"AlertId":"a","LastProcessedTimeUtc":"2024-05-01T10:00:00Z","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`;
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, deep), ['--max-retries', '0']);
    check(result, tokens, { code: 65, message: /nested more than 512 levels/, alerts: 0 });
  });

  // JSON.parse decodes invalid UTF-8 inside an alert as U+FFFD, so the parsed alert passes while
  // its raw bytes — still invalid (RFC 8259 §8.1) — would be written. validateAlert checks that the
  // bytes are UTF-8.
  it('invalid UTF-8 inside an alert: the alert is reported, never written (exit 65)', async () => {
    const good = Buffer.from(JSON.stringify(alert(1)));
    const bad = Buffer.concat([
      Buffer.from('{"AlertId":"da_bad_1","LastProcessedTimeUtc":"2024-05-01T10:00:00Z","AlertTitle":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    const body = Buffer.concat([Buffer.from('['), good, Buffer.from(','), bad, Buffer.from(']')]);
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, body), ['--format', 'ndjson']);
    check(result, tokens, { code: 65, message: /1 alert\(s\) failed validation/, format: 'ndjson', alerts: 1 });
    expect(Buffer.from(result.stdout, 'latin1').includes(0xff)).toBe(false);
  });

  it('a UTF-8 byte order mark before the array is accepted (exit 0)', async () => {
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, `\uFEFF${arrayOf([alert(1)])}`), []);
    check(result, tokens, { code: 0, alerts: 1 });
  });

  it('an object instead of an array: exit 65 quoting the answer', async () => {
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, '{"value":[]}'), ['--max-retries', '0']);
    check(result, tokens, { code: 65, message: /expected a JSON array of alerts, got .*value/, alerts: 0 });
  });

  it('null: exit 65', async () => {
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, 'null'), ['--max-retries', '0']);
    check(result, tokens, { code: 65, message: /expected a JSON array of alerts, got "null"/, alerts: 0 });
  });

  it('duplicate keys: the bytes pass through unchanged, and validation judges the value a JSON reader sees (the last)', async () => {
    const dup = '{"AlertId":"da_dup_1","Severity":"Low","Severity":"High","LastProcessedTimeUtc":"2024-05-01T10:00:00Z"}';
    const lastInvalid = '{"AlertId":"da_dup_2","LastProcessedTimeUtc":"2024-05-01T10:00:00Z","AlertId":7}';
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, `[${dup},${lastInvalid}]`), ['--format', 'ndjson']);
    check(result, tokens, { code: 65, message: /1 alert\(s\) failed validation/, format: 'ndjson', alerts: 1 });
    expect(result.stdout).toBe(`${dup}\n`);
  });

  it('integers beyond 2^53 reach stdout digit for digit', async () => {
    const text =
      '[{"AlertId":"da_big_1","LastProcessedTimeUtc":"2024-05-01T10:00:00Z","ReportID":123456789012345678901,"AlertPart":9007199254740993}]';
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, text), ['--format', 'ndjson']);
    check(result, tokens, { code: 0, format: 'ndjson', alerts: 1 });
    expect(result.stdout).toContain('"ReportID":123456789012345678901');
    expect(result.stdout).toContain('"AlertPart":9007199254740993');
  });

  it('10 000 tiny alerts with unicode in every field arrive exactly (exit 0)', async () => {
    const samples = [
      'Ωmega',
      '日本語のアラート',
      'مرحبا',
      '😀🔥',
      'e\u0301',
      '\u2028\u2029',
      'tab\there',
      'quote"back\\slash',
      '\u0000nul',
    ];
    const all = Array.from({ length: 10_000 }, (_, n) => {
      const u = samples[n % samples.length]!;
      return {
        AlertId: `da_${n}_${u}`,
        LastProcessedTimeUtc: '2024-05-01T10:00:00.1234567Z',
        AlertTitle: u,
        Severity: u,
        ComputerDnsName: `${u}.contoso`,
        Category: u,
      };
    });
    const { result, tokens } = await pullAgainst((_req, socket) => respond(socket, 200, arrayOf(all)), []);
    const alerts = check(result, tokens, { code: 0, alerts: 10_000 });
    expect(alerts).toEqual(all);
  });
});

describe('Retry-After and throttling', () => {
  const throttledOnce =
    (retryAfter: string, status = 429): Script =>
    (req, socket) => {
      if (req.seq === 2) respond(socket, status, '{"error":{"code":"TooManyRequests"}}', { 'retry-after': retryAfter });
      else respond(socket, 200, arrayOf([alert(1)]));
    };
  /** `pull`, stopped with Ctrl-C as soon as its log says `text` (a wait has begun). */
  const pullInterruptedAt = (text: string, server: Parameters<typeof hostileEnv>[0], args: string[] = []) =>
    runCli(['pull', ...args], {
      env: hostileEnv(server),
      onSpawn: (child) => {
        child.stderr?.on('data', (d: Buffer) => {
          if (String(d).includes(text)) child.kill('SIGINT');
        });
      },
    });
  // Both a failure's retry and a throttle wait log the delay they honour.
  const delayAsked = (stderr: string): number => Number(/"delayMs":(\d+)/.exec(stderr)?.[1] ?? NaN);

  it.each(['0', '-5'])('Retry-After: %s retries at once (exit 0)', async (value) => {
    const { result, server, tokens } = await pullAgainst(throttledOnce(value), []);
    check(result, tokens, { code: 0, alerts: 1 });
    expect(server.apiRequests()).toHaveLength(2);
    expect(delayAsked(result.stderr)).toBe(0);
  });

  it('Retry-After as an HTTP date is honoured', async () => {
    const at = new Date(Date.now() + 2_500).toUTCString();
    const { result, tokens } = await pullAgainst(throttledOnce(at, 503), []);
    check(result, tokens, { code: 0, alerts: 1 });
    const asked = delayAsked(result.stderr);
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThanOrEqual(2_500);
  });

  it('a throttle wait is waited as asked, outside --max-retries (and Ctrl-C still ends it)', async () => {
    const { result, tokens } = await pullAgainst(
      (_req, socket) =>
        respond(
          socket,
          429,
          '{"error":{"code":"TooManyRequests","message":"API calls quota exceeded! maximum allowed 100 per 00:01:00"}}',
          { 'retry-after': '600' },
        ),
      ['--max-retries', '0'],
      (server) => pullInterruptedAt('as the server asked', server, ['--max-retries', '0']),
    );
    expect(result.code).toBe(130);
    expect(delayAsked(result.stderr)).toBe(600_000);
    expect(result.stderr).toContain(
      'throttled (HTTP 429: API calls quota exceeded! maximum allowed 100 per 00:01:00); waiting 10m as the server asked (50m left of --max-throttle-wait)',
    );
    completeAlerts(result.stdout, 'json');
    for (const token of tokens) expect(result.stderr).not.toContain(token);
  });

  it('a Retry-After beyond the throttle budget is not waited for at all: exit 5 at once', async () => {
    const started = Date.now();
    const { result, server, tokens } = await pullAgainst((_req, socket) => respond(socket, 429, '', { 'retry-after': '999999999' }), []);
    check(result, tokens, {
      code: 5,
      message:
        /throttled \(HTTP 429\); the server asked to wait \d+d\d*h?, more than the 1h left of the throttle budget \(--max-throttle-wait 1h\)/,
      alerts: 0,
    });
    expect(server.apiRequests()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a failure's Retry-After (a 500 with one) is still capped at 2 minutes", async () => {
    const { result } = await pullAgainst(
      (_req, socket) => respond(socket, 500, '', { 'retry-after': '999999999' }),
      [],
      (server) => pullInterruptedAt('capped from', server),
    );
    expect(result.code).toBe(130);
    expect(delayAsked(result.stderr)).toBe(120_000);
    expect(result.stderr).toContain('capped from 999999999000 ms');
  });

  it('429 forever: bounded by --max-retries, exit 5', async () => {
    const { result, server, tokens } = await pullAgainst(
      (_req, socket) => respond(socket, 429, '', { 'retry-after': '0' }),
      ['--max-retries', '3'],
    );
    check(result, tokens, { code: 5, message: /HTTP 429 Too Many Requests \(after 4 attempts\)/, alerts: 0 });
    expect(server.apiRequests()).toHaveLength(4);
  });
});

describe('redirects', () => {
  it.each([301, 302, 307, 308])('%i to another host: not followed, the token never reaches it (exit 5)', async (status) => {
    const elsewhere = await startHostileServer((_req, socket) => respond(socket, 200, '[]'));
    try {
      const { result, server, tokens } = await pullAgainst(
        (_req, socket) => respond(socket, status, '', { location: `${elsewhere.url}/api/alerts` }),
        [],
      );
      check(result, tokens, { code: 5, message: /redirects are not followed/, alerts: 0 });
      expect(elsewhere.requests).toEqual([]);
      expect(server.apiRequests()).toHaveLength(1); // nor retried
    } finally {
      await elsewhere.close();
    }
  });
});
