/**
 * Streaming, end to end: alerts reach stdout while the answer is still arriving, and a stop
 * signal ends a run that is waiting on a slow answer. The token comes from the simulator; the
 * alert answer from a hand-driven loopback server so the test controls every byte and pause.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
let server: Server;
let baseUrl: string;
let pending: ServerResponse | undefined;

const alert = (n: number): string =>
  JSON.stringify({ AlertId: `da63737071898168566${n}_1`, LastProcessedTimeUtc: `2024-05-01T10:00:0${n}.1234567Z`, Severity: 'High' });

beforeAll(async () => {
  sim = await startSimulator({ alerts: 0 });
  // Sends the opening of the array and two alerts, then holds the answer open until the test ends it.
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`[\n${alert(1)},\n${alert(2)},\n`);
    pending = res;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await sim.close();
});

describe('streaming output', () => {
  it('writes the first alerts to stdout before the answer ends', async () => {
    let sawBeforeEnd = '';
    const result = await runCli(['pull', '--format', 'ndjson', '--base-url', baseUrl], {
      env: simEnv(sim),
      onSpawn: (child) => {
        child.stdout?.setEncoding('utf8');
        child.stdout?.once('data', (chunk: string) => {
          sawBeforeEnd = chunk;
          // Only now does the server send the rest and close the array.
          pending?.end(`${alert(3)}\n]`);
        });
      },
    });
    expect(result.code).toBe(0);
    expect(sawBeforeEnd).toContain('da637370718981685661_1');
    expect(sawBeforeEnd).not.toContain('da637370718981685663_1');
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { AlertId: string }).AlertId),
    ).toEqual(['da637370718981685661_1', 'da637370718981685662_1', 'da637370718981685663_1']);
  });

  it('stops on SIGTERM while waiting for the answer, with exit 143', async () => {
    const result = await runCli(['pull', '--format', 'ndjson', '--base-url', baseUrl], {
      env: simEnv(sim),
      onSpawn: (child) => {
        child.stdout?.once('data', () => child.kill('SIGTERM'));
      },
    });
    expect(result.code).toBe(143);
    expect(result.stderr).toContain('SIGTERM received');
    expect(result.stderr).not.toContain('internal error');
  });
});
