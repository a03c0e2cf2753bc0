import { describe, expect, it } from 'vitest';
import { createProgress, progressText } from '../../src/output/progress.js';

describe('the progress line', () => {
  it('says windows done of all, alerts, their rate, and a throttle wait while it lasts', () => {
    expect(progressText({ windows: 720, done: 3, alerts: 12_345, elapsedMs: 5000, waitLeftMs: 0 })).toBe(
      'windows 3/720 · 12,345 alerts · 2,469/s',
    );
    expect(progressText({ windows: 2, done: 0, alerts: 0, elapsedMs: 0, waitLeftMs: 29_001 })).toBe(
      'windows 0/2 · 0 alerts · 0/s · waiting 30s (throttled)',
    );
  });

  it('never shows in a run shorter than a second, and leaves nothing behind', () => {
    let written = '';
    const p = createProgress({ write: (t: string) => (written += t), columns: 40 }, () => 0);
    p.plan(3);
    p.alert();
    p.windowDone();
    p.clear();
    expect(written).toBe('');
  });
});
