import { describe, expect, it } from 'vitest';
import { ALERT_JSON_TEXTS, type SerialisableAlerts } from '../../simulator/alert-stream.js';
import { AlertGenerator } from '../../simulator/alerts.js';
import { AlertStore } from '../../simulator/store.js';
import { parseTimestamp } from '../../simulator/ticks.js';

const NOW = new Date('2026-03-01T12:00:00Z');

describe("the simulator's direct JSON serialisation", () => {
  it('is exactly JSON.stringify of the generated alert, for every style, drift and time', () => {
    for (const seed of [1, 2, 99]) {
      const gen = new AlertGenerator(seed);
      for (let group = 0; group < 600; group++) {
        // Times with whole seconds and trailing zeros exercise the trimmed AlertTime form.
        const at = (parseTimestamp('2026-03-01T11:22:33Z') ?? 0n) + BigInt(group % 7 === 0 ? 0 : group * 1_234_567);
        for (let part = 0; part < gen.detectionsIn(group); part++) {
          expect(gen.generateJson(group, part, at)).toBe(JSON.stringify(gen.generate(group, part, at)));
        }
      }
    }
  });

  it('serves the same texts as the alerts the store yields, added alerts included', () => {
    const store = new AlertStore({ now: NOW, initial: 3000 });
    store.add([{ AlertId: 'odd "quoted" \\ id', LastProcessedTimeUtc: '2026-03-01T11:00:00.0000000Z', Extra: 'é\u0001' }]);
    const alerts = store.query({ sinceTimeUtc: '2000-01-01' }, NOW).alerts as SerialisableAlerts;
    expect(typeof alerts[ALERT_JSON_TEXTS]).toBe('function');
    expect([...alerts[ALERT_JSON_TEXTS]()]).toEqual([...alerts].map((alert) => JSON.stringify(alert)));
  });
});
