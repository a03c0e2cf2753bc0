/**
 * takeAlerts: the alerts of a page the source's rule lets through, one by one, then the page's
 * result; a page left unread (--limit reached, or the consumer stopped) closes its reader, so its
 * answer is not left open.
 */
import { describe, expect, it } from 'vitest';
import type { PageResult } from '../../src/api/read-answer.js';
import type { AlertRecord } from '../../src/api/source.js';
import { takeAlerts, type Take } from '../../src/api/take-alerts.js';

function record(id: string): AlertRecord {
  return { raw: Buffer.from(`{"id":"${id}"}`), id, updatedAt: 't', key: `${id}|t` };
}

const RESULT: PageResult = { alerts: [], size: 5, nextLink: 'https://api.example/next' };

/** A page reader yielding `batches`, as readPage does; `closed` tells whether it was closed before its end. */
function reader(batches: string[][]): { page: AsyncGenerator<AlertRecord[], PageResult>; state: { closed: boolean } } {
  const state = { closed: false };
  async function* page(): AsyncGenerator<AlertRecord[], PageResult> {
    let ended = false;
    try {
      for (const batch of batches) yield batch.map(record);
      ended = true;
      return RESULT;
    } finally {
      state.closed = !ended;
    }
  }
  return { page: page(), state };
}

describe('takeAlerts', () => {
  it("yields the alerts the rule writes, in order, and returns the page's result", async () => {
    const { page, state } = reader([['a', 'b'], ['c'], ['d', 'e']]);
    const taking = takeAlerts(page, (a): Take => (a.id === 'b' || a.id === 'd' ? 'skip' : 'write'));
    const ids: string[] = [];
    let step = await taking.next();
    while (step.done !== true) {
      ids.push(step.value.id);
      step = await taking.next();
    }
    expect(ids).toEqual(['a', 'c', 'e']);
    expect(step.value).toBe(RESULT);
    expect(state.closed).toBe(false);
  });

  it("stops after the alert the rule calls the last, returns no result, and closes the page's reader", async () => {
    const { page, state } = reader([['a', 'b'], ['c']]);
    const taking = takeAlerts(page, (a): Take => (a.id === 'b' ? 'last' : 'write'));
    const ids: string[] = [];
    let step = await taking.next();
    while (step.done !== true) {
      ids.push(step.value.id);
      step = await taking.next();
    }
    expect(ids).toEqual(['a', 'b']);
    expect(step.value).toBeUndefined();
    expect(state.closed).toBe(true);
  });

  it("closes the page's reader when its consumer stops early", async () => {
    const { page, state } = reader([['a', 'b'], ['c']]);
    for await (const alert of takeAlerts(page, () => 'write')) if (alert.id === 'a') break;
    expect(state.closed).toBe(true);
  });
});
