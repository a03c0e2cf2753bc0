/**
 * The one client of Entra ID's endpoints (token, device code) for app and user sign-in: POST a
 * form, retry what is worth retrying (408, 429, 5xx, connection failures), and tell a refusal —
 * a 4xx carrying Entra's error JSON — apart from everything else.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { HttpStatusError } from '../http/errors.js';
import { retrying } from '../http/retry-loop.js';
import type { RetryPolicy } from '../http/retry.js';
import { readText, send } from '../http/send.js';

export interface EndpointDeps {
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  log: Logger;
  /** Only for messages: the dispatcher enforces it. */
  timeoutMs: number;
}

/**
 * Entra said no: a 4xx other than 408 and 429 (those were retried). Its body is Entra's error
 * JSON, which the caller turns into a message (entra-errors.ts) or a next step (a device poll).
 */
export function isRefusal(err: unknown): err is HttpStatusError {
  return err instanceof HttpStatusError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}

/**
 * POSTs `form()` (built again for each attempt: an assertion is signed afresh) to `url` and returns
 * `read` of the 2xx body. A refusal is thrown as the HttpStatusError (see {@link isRefusal}).
 */
export async function postForm<T>(
  url: URL,
  form: () => URLSearchParams,
  read: (text: string) => T,
  deps: EndpointDeps,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  return retrying(
    async () => {
      const res = await send(
        {
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form().toString(),
        },
        { dispatcher: deps.dispatcher, signal, timeoutMs: deps.timeoutMs },
      );
      return read(await readText(res.body));
    },
    { policy: deps.retry, log: deps.log, what, signal },
  );
}
