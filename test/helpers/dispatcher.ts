import type { Dispatcher } from 'undici';
import { afterEach } from 'vitest';
import { createDispatcher, type DispatcherOptions } from '../../src/http/dispatcher.js';

/**
 * `dispatcher(opts)` for a test file: the CLI's own dispatcher (no proxy from the developer's
 * environment unless `opts.env` says so), destroyed after each test.
 */
export function dispatcherPerTest(defaults: Partial<DispatcherOptions> = {}): (opts?: Partial<DispatcherOptions>) => Dispatcher {
  const made: Dispatcher[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((d) => d.destroy()));
  });
  return (opts = {}) => {
    const d = createDispatcher({ timeoutMs: 5_000, env: {}, ...defaults, ...opts });
    made.push(d);
    return d;
  };
}
