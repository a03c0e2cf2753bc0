import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { shareOutput, TENANT_FIELD, withMember } from '../../src/output/shared-output.js';
import { openSink } from '../../src/output/sink.js';
import { forEachLimited } from '../../src/util/limited.js';

const member = Buffer.from('"tenantLabel":"contoso"');

describe('withMember', () => {
  it('adds the member last, leaving the bytes before it untouched', () => {
    expect(withMember(Buffer.from('{"a":1,"b":{"c":"}"}}'), member).toString()).toBe('{"a":1,"b":{"c":"}"},"tenantLabel":"contoso"}');
    expect(withMember(Buffer.from('{"a":"é"}  \n'), member).toString()).toBe('{"a":"é","tenantLabel":"contoso"}');
  });

  it('needs no comma in an empty object, and refuses what is not an object', () => {
    expect(withMember(Buffer.from('{ }'), member).toString()).toBe('{ "tenantLabel":"contoso"}');
    expect(() => withMember(Buffer.from('[1]'), member)).toThrow('not a JSON object');
  });
});

/** A stdout stand-in that takes every write after a tick, so that writers really overlap. */
function slowStdout(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('a shared output', () => {
  it('keeps every alert of concurrent tenants whole, labelled, in one valid document', async () => {
    for (const format of ['ndjson', 'json'] as const) {
      const out = slowStdout();
      const shared = shareOutput(await openSink({ format, stdout: out.stream }));
      const tenants = Array.from({ length: 12 }, (_, i) => `tenant-${i}`);
      await forEachLimited(tenants, 5, async (label) => {
        const view = shared.view(label);
        for (let n = 0; n < 300; n++) {
          const pending = view.write(Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(n % 97), from: label })));
          if (pending) await pending;
          if (n % 100 === 99) await view.flush();
        }
        await view.close();
        expect(view.count).toBe(300);
      });
      await shared.sink.close();
      const alerts = (
        format === 'json'
          ? JSON.parse(out.text())
          : out
              .text()
              .trimEnd()
              .split('\n')
              .map((l) => JSON.parse(l) as unknown)
      ) as {
        from: string;
        [TENANT_FIELD]: string;
      }[];
      expect(alerts).toHaveLength(12 * 300);
      expect(alerts.every((a) => a[TENANT_FIELD] === a.from)).toBe(true);
    }
  });

  it('leaves the document open when a view ends: only the owner ends it', async () => {
    const out = slowStdout();
    const shared = shareOutput(await openSink({ format: 'json', stdout: out.stream }));
    const a = shared.view('a');
    await a.write(Buffer.from('{"x":1}'));
    await a.abort();
    await expect(a.write(Buffer.from('{"x":2}'))).rejects.toThrow('after the view ended');
    const b = shared.view('b');
    await b.write(Buffer.from('{"x":3}'));
    await b.close();
    await shared.sink.close();
    expect(JSON.parse(out.text())).toEqual([
      { x: 1, tenantLabel: 'a' },
      { x: 3, tenantLabel: 'b' },
    ]);
  });
});

describe('forEachLimited', () => {
  it('runs at most limit tasks at once, each item once, and starts no more once stopped', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited(
      Array.from({ length: 40 }, (_, i) => i),
      4,
      async (item) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 1 + (item % 3)));
        seen.push(item);
        running--;
      },
      () => seen.length >= 20,
    );
    expect(most).toBe(4);
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen.length).toBeLessThan(24);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('a task that rejects (a bug) is rethrown only once every started task has settled', async () => {
    const finished: number[] = [];
    const run = forEachLimited([0, 1, 2, 3], 4, async (item) => {
      if (item === 0) throw new Error('task 0 broke');
      await new Promise((r) => setTimeout(r, 20));
      finished.push(item);
    });
    await expect(run).rejects.toThrow('task 0 broke');
    expect(finished.sort()).toEqual([1, 2, 3]);
  });
});
