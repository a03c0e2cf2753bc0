import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStatusError, TransportError } from '../../src/http/errors.js';
import { retrying, withRetries, type RetryLoopOptions } from '../../src/http/retry-loop.js';
import { ThrottleBudget } from '../../src/http/throttle.js';
import { send } from '../../src/http/send.js';
import type { StderrRecord } from '../helpers/cli.js';
import { rejection } from '../helpers/rejection.js';
import { dispatcherPerTest } from '../helpers/dispatcher.js';
import { recordingLogger } from '../helpers/logger.js';
import { THREE_RETRIES } from '../helpers/retry.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

/** A loopback server whose n-th request (1-based) is answered by `answers[n-1]` (the last one repeats). */
async function serveSequence(...answers: ((res: ServerResponse) => void)[]): Promise<{ url: URL; hits: () => number }> {
  let hits = 0;
  const handler: RequestListener = (_req, res) => {
    hits += 1;
    const answer = answers[Math.min(hits, answers.length) - 1];
    answer?.(res);
  };
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/alerts`), hits: () => hits };
}

const status =
  (code: number, headers: Record<string, string> = {}) =>
  (res: ServerResponse): void => {
    res.writeHead(code, headers).end(`{"status":${code}}`);
  };
const ok =
  (body: string) =>
  (res: ServerResponse): void => {
    res.writeHead(200).end(body);
  };

interface Harness {
  opts: RetryLoopOptions;
  /** Delays the loop asked to sleep, in order. */
  sleeps: number[];
  /** Parsed pino lines. */
  logs: StderrRecord[];
}

function harness(overrides: Partial<RetryLoopOptions> = {}): Harness {
  const sleeps: number[] = [];
  const { log, lines: logs } = recordingLogger('debug');
  const opts: RetryLoopOptions = {
    policy: THREE_RETRIES,
    log,
    what: 'alerts request',
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    ...overrides,
  };
  return { opts, sleeps, logs };
}

const testDispatcher = dispatcherPerTest();
const dispatcher = (timeoutMs = 5_000) => testDispatcher({ timeoutMs });

/** open() for withRetries: one GET, its body as text chunks, attempts recorded. */
function opener(url: URL, attempts: number[] = []) {
  const d = dispatcher();
  return async function* open(attempt: number): AsyncGenerator<string> {
    attempts.push(attempt);
    const sent = await send({ method: 'GET', url }, { dispatcher: d });
    for await (const chunk of sent.body) yield chunk.toString('utf8');
  };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('withRetries', () => {
  it('retries a 503 and then yields the 200 answer (2 hits), logging the retry at warn', async () => {
    const server = await serveSequence(status(503), ok('[]'));
    const h = harness();
    const attempts: number[] = [];
    expect((await collect(withRetries(opener(server.url, attempts), h.opts))).join('')).toBe('[]');
    expect(server.hits()).toBe(2);
    expect(attempts).toEqual([1, 2]);
    expect(h.sleeps).toEqual([250]); // full jitter: 0.5 × 500 ms
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({ level: 40, what: 'alerts request', status: 503, attempt: 1, nextAttempt: 2, delayMs: 250 });
  });

  it('honours Retry-After on a 429', async () => {
    const server = await serveSequence(status(429, { 'retry-after': '3' }), ok('[]'));
    const h = harness();
    await collect(withRetries(opener(server.url), h.opts));
    expect(server.hits()).toBe(2);
    expect(h.sleeps).toEqual([3_000]);
  });

  it('never retries a 401 (1 hit) and leaves its message alone', async () => {
    const server = await serveSequence(status(401), ok('[]'));
    const h = harness();
    const err = await rejection(collect(withRetries(opener(server.url), h.opts)));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(401);
    expect((err as HttpStatusError).message).not.toContain('attempts');
    expect(server.hits()).toBe(1);
    expect(h.sleeps).toEqual([]);
  });

  it('re-opens after a body cut off mid-stream, telling open() which attempt it is', async () => {
    const server = await serveSequence((res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('[{"AlertId":"da1"},', () => res.socket?.destroy());
    }, ok('[{"AlertId":"da1"},{"AlertId":"da2"}]'));
    const h = harness();
    const byAttempt = new Map<number, string>();
    const d = dispatcher();
    const items = withRetries(async function* (attempt) {
      const sent = await send({ method: 'GET', url: server.url }, { dispatcher: d });
      for await (const chunk of sent.body) {
        byAttempt.set(attempt, (byAttempt.get(attempt) ?? '') + chunk.toString('utf8'));
        yield attempt;
      }
    }, h.opts);
    const seen = await collect(items);
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(2);
    expect(byAttempt.get(1)).toBe('[{"AlertId":"da1"},');
    expect(byAttempt.get(2)).toBe('[{"AlertId":"da1"},{"AlertId":"da2"}]');
    expect(server.hits()).toBe(2);
    expect(h.logs[0]).toMatchObject({ code: 'UND_ERR_SOCKET', attempt: 1 });
  });

  it('gives up on a refused connection after maxRetries, saying how many attempts were made', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await new Promise((resolve) => server.close(resolve));

    const h = harness({ policy: { ...THREE_RETRIES, maxRetries: 2 } });
    const attempts: number[] = [];
    const err = await rejection(collect(withRetries(opener(url, attempts), h.opts)));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('ECONNREFUSED');
    expect((err as TransportError).message).toMatch(/connection refused.*\(after 3 attempts\)$/);
    expect(attempts).toEqual([1, 2, 3]);
    expect(h.sleeps).toEqual([250, 500]);
    expect(h.logs.map((l) => l['code'])).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });

  it('retries the 5xx until the budget is spent, then throws the last HttpStatusError', async () => {
    const server = await serveSequence(status(500), status(502), status(503));
    const h = harness({ policy: { ...THREE_RETRIES, maxRetries: 2 } });
    const err = await rejection(collect(withRetries(opener(server.url), h.opts)));
    expect((err as HttpStatusError).status).toBe(503);
    expect((err as HttpStatusError).message).toContain('(after 3 attempts)');
    expect(server.hits()).toBe(3);
  });

  it('throws an unknown error at once, untouched', async () => {
    const h = harness();
    const bug = new TypeError('bug');
    let opened = 0;
    const err = await rejection(
      collect(
        // eslint-disable-next-line require-yield -- it fails before its first item: that is the point
        withRetries(async function* () {
          opened += 1;
          throw bug;
        }, h.opts),
      ),
    );
    expect(err).toBe(bug);
    expect(bug.message).toBe('bug');
    expect(opened).toBe(1);
  });

  it('does not re-open when the consumer stops early', async () => {
    const h = harness();
    let opened = 0;
    const items = withRetries(async function* () {
      opened += 1;
      yield 1;
      yield 2;
    }, h.opts);
    for await (const item of items) {
      expect(item).toBe(1);
      break;
    }
    expect(opened).toBe(1);
  });

  it('stops sleeping and throws the abort reason when the signal fires during a backoff', async () => {
    const server = await serveSequence(status(503, { 'retry-after': '60' }));
    const controller = new AbortController();
    const reason = new Error('interrupted');
    const { opts } = harness({
      signal: controller.signal,
      // The real (default) sleep, aborted as soon as the retry is announced.
      log: pino({ level: 'warn' }, { write: () => controller.abort(reason) }),
    });
    delete opts.sleep;
    const err = await rejection(collect(withRetries(opener(server.url), opts)));
    expect(err).toBe(reason);
    expect(server.hits()).toBe(1);
  });
});

describe('retrying', () => {
  it('retries a failed token POST and returns the value of the attempt that worked', async () => {
    const server = await serveSequence(status(500), ok('{"access_token":"t"}'));
    const h = harness();
    const d = dispatcher();
    const attempts: number[] = [];
    const body = await retrying(async (attempt) => {
      attempts.push(attempt);
      const sent = await send({ method: 'POST', url: server.url, body: 'grant_type=client_credentials' }, { dispatcher: d });
      const parts: Buffer[] = [];
      for await (const chunk of sent.body) parts.push(chunk);
      return Buffer.concat(parts).toString('utf8');
    }, h.opts);
    expect(body).toBe('{"access_token":"t"}');
    expect(attempts).toEqual([1, 2]);
    expect(server.hits()).toBe(2);
    expect(h.logs[0]).toMatchObject({ status: 500, attempt: 1 });
  });

  it('gives up after maxRetries with "after N attempts"', async () => {
    const h = harness({ policy: { ...THREE_RETRIES, maxRetries: 1 } });
    let calls = 0;
    const err = await rejection(
      retrying(() => {
        calls += 1;
        return Promise.reject(new TransportError('ECONNRESET', 'the connection closed'));
      }, h.opts),
    );
    expect((err as Error).message).toBe('the connection closed (after 2 attempts)');
    expect(calls).toBe(2);
  });

  it('does not start when the signal is already aborted', async () => {
    const h = harness({ signal: AbortSignal.abort(new Error('stop')) });
    let calls = 0;
    const err = await rejection(
      retrying(() => {
        calls += 1;
        return Promise.resolve(1);
      }, h.opts),
    );
    expect((err as Error).message).toBe('stop');
    expect(calls).toBe(0);
  });
});

describe('withRetries with a throttle budget', () => {
  const quota = (seconds: string) => status(429, { 'retry-after': seconds });

  it('waits out throttled answers as asked without using up the retries (1 retry, 5 throttles, still succeeds)', async () => {
    const server = await serveSequence(
      quota('2'),
      quota('2'),
      status(503, { 'retry-after': '3' }),
      quota('1'),
      quota('1'),
      status(500),
      ok('[]'),
    );
    const budget = new ThrottleBudget(60_000);
    const held: number[] = [];
    const h = harness({
      policy: { ...THREE_RETRIES, maxRetries: 1, throttle: budget },
      now: () => 1_000,
      onThrottle: (until) => held.push(until),
    });
    const attempts: number[] = [];
    expect((await collect(withRetries(opener(server.url, attempts), h.opts))).join('')).toBe('[]');
    expect(server.hits()).toBe(7);
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7]); // every reading numbered, for the retry dedup
    expect(h.sleeps).toEqual([2_000, 2_000, 3_000, 1_000, 1_000, 250]);
    expect(budget.remainingMs).toBe(60_000 - 9_000);
    expect(held).toEqual([3_000, 3_000, 4_000, 2_000, 2_000]); // the pacer is told when to come back
    const waits = h.logs.filter((l) => l['level'] === 30);
    expect(waits).toHaveLength(5);
    expect(waits[0]).toMatchObject({ what: 'alerts request', status: 429, delayMs: 2_000, throttleBudgetLeftMs: 58_000 });
    expect(String(waits[0]?.['msg'])).toBe(
      'alerts request throttled (HTTP 429); waiting 2s as the server asked (58s left of --max-throttle-wait)',
    );
  });

  it('gives up at once (exit 5, no sleep) when the wait asked for is more than the budget left', async () => {
    const server = await serveSequence(quota('30'), quota('40'), ok('[]'));
    const budget = new ThrottleBudget(60_000);
    const h = harness({ policy: { ...THREE_RETRIES, throttle: budget } });
    const err = await rejection(collect(withRetries(opener(server.url), h.opts)));
    expect(err).toMatchObject({ code: 'THROTTLED', exitCode: 5 });
    expect((err as Error).message).toContain(
      'the server asked to wait 40s, more than the 30s left of the throttle budget (--max-throttle-wait 1m)',
    );
    expect(h.sleeps).toEqual([30_000]);
    expect(server.hits()).toBe(2);
  });

  it('a Retry-After under a second is an ordinary retry, counted against --max-retries', async () => {
    const server = await serveSequence(quota('0'));
    const h = harness({ policy: { ...THREE_RETRIES, maxRetries: 2, throttle: new ThrottleBudget(60_000) } });
    const err = await rejection(collect(withRetries(opener(server.url), h.opts)));
    expect((err as HttpStatusError).status).toBe(429);
    expect((err as Error).message).toContain('(after 3 attempts)');
    expect(server.hits()).toBe(3);
  });

  it('without a budget a throttled answer is one more failure, as before', async () => {
    const server = await serveSequence(quota('1'));
    const h = harness({ policy: { ...THREE_RETRIES, maxRetries: 1 } });
    const err = await rejection(collect(withRetries(opener(server.url), h.opts)));
    expect((err as HttpStatusError).status).toBe(429);
    expect(server.hits()).toBe(2);
  });

  it('retrying() (token requests) shares the same budget and rules', async () => {
    const budget = new ThrottleBudget(5_000);
    let calls = 0;
    const h = harness({ policy: { ...THREE_RETRIES, maxRetries: 0, throttle: budget } });
    const server = await serveSequence(quota('2'), quota('2'), ok('token'));
    const d = dispatcher();
    const value = await retrying(async () => {
      calls++;
      const sent = await send({ method: 'GET', url: server.url }, { dispatcher: d });
      let text = '';
      for await (const chunk of sent.body) text += chunk.toString('utf8');
      return text;
    }, h.opts);
    expect(value).toBe('token');
    expect(calls).toBe(3);
    expect(budget.remainingMs).toBe(1_000);
  });
});
