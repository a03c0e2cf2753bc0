import { MockAgent, type Dispatcher } from 'undici';
import { afterEach } from 'vitest';
import type { ODataContext } from '../../src/api/odata-source.js';
import { createLogger } from '../../src/log.js';
import { fixedCredential } from './fixed-credential.js';
import { fastFailRetry } from './retry.js';

/** How the mock answers one request. */
export interface MockAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface MockOrigin {
  /** Pass it as the dispatcher of a request or a source (never set globally). */
  dispatcher: MockAgent;
  /** The URL of every request answered, in order. */
  asked: URL[];
}

/**
 * `mockOrigin(origin, answer)` for a test file: an undici MockAgent that answers every GET to
 * `origin` with `answer(url)`, refuses any real connection, and records the URLs asked; closed
 * after each test. For narrow logic; wire behaviour is tested against the simulator.
 */
export function mockAgentPerTest(): (origin: string, answer: (url: URL) => MockAnswer) => MockOrigin {
  const made: MockAgent[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((agent) => agent.close()));
  });
  return (origin, answer) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    made.push(agent);
    const asked: URL[] = [];
    agent
      .get(origin)
      .intercept({ path: () => true, method: 'GET' })
      .reply((opts) => {
        const url = new URL(String(opts.path), origin);
        asked.push(url);
        const { status, body, headers = {} } = answer(url);
        return { statusCode: status, data: body, responseOptions: { headers } };
      })
      .persist();
    return { dispatcher: agent, asked };
  };
}

/**
 * What a source needs to make its requests, for tests: a fixed token, no retries, a silent log,
 * invalid alerts ignored, a 5 s timeout; `overrides` for what the test watches.
 */
export function sourceContext(dispatcher: Dispatcher, overrides: Partial<ODataContext> = {}): ODataContext {
  return {
    credential: fixedCredential(),
    dispatcher,
    retry: fastFailRetry(),
    timeoutMs: 5_000,
    log: createLogger('silent'),
    onInvalid: () => {},
    ...overrides,
  };
}
