/**
 * How the OData sources write the alerts of a page: each alert the page reader yields is left out
 * (written before), written, or written as the last one (`--limit` reached), by the source's own
 * rule; the page's result comes back for deciding the next request.
 */
import type { PageResult } from './read-answer.js';
import type { AlertRecord } from './source.js';

/** What a source does with one alert of a page. */
export type Take = 'skip' | 'write' | 'last';

/**
 * Yields, one by one, the alerts of `page` that `take` lets through, and returns the page's result;
 * or undefined once `take` said 'last', leaving the rest of the page unread (the reader is closed,
 * as `break` in `for await` closes it).
 */
export async function* takeAlerts(
  page: AsyncIterator<AlertRecord[], PageResult>,
  take: (alert: AlertRecord) => Take,
): AsyncGenerator<AlertRecord, PageResult | undefined> {
  let done = false;
  try {
    for (;;) {
      const step = await page.next();
      if (step.done === true) {
        done = true;
        return step.value;
      }
      for (const alert of step.value) {
        const verdict = take(alert);
        if (verdict === 'skip') continue;
        yield alert;
        if (verdict === 'last') return undefined;
      }
    }
  } finally {
    // A reader that threw is finished already: closing it again does nothing.
    if (!done) await page.return?.();
  }
}
