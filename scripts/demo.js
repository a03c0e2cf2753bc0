#!/usr/bin/env node
// `npm run demo`: starts the bundled simulator on a free port (HTTPS, self-signed CA), runs
// `defender-alerts pull` against it with the simulator's published test credentials, prints the
// alerts, and stops the simulator. No Microsoft tenant and no network needed.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));

const sim = spawn(process.execPath, [cli, 'simulate', '--port', '0', '--alerts', '12'], { stdio: ['ignore', 'pipe', 'pipe'] });
// The simulator's own stderr is shown only if it fails to start.
let simErr = '';
sim.stderr.setEncoding('utf8').on('data', (d) => (simErr += d));
const firstLine = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the simulator did not start within 15 s')), 15_000);
  createInterface({ input: sim.stdout }).once('line', (line) => {
    clearTimeout(timer);
    resolve(line);
  });
  sim.once('exit', (code) => reject(new Error(`the simulator exited early (code ${code}): ${simErr}`)));
});
const info = JSON.parse(firstLine);
process.stderr.write(
  `demo: simulator at ${info.url}; running: defender-alerts pull --since 3h --base-url ${info.url} --authority-host ${info.authorityHost}\n`,
);

const pull = spawn(process.execPath, [cli, 'pull', '--since', '3h', '--base-url', info.url, '--authority-host', info.authorityHost], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    NODE_EXTRA_CA_CERTS: info.caCertPath ?? '',
    AZURE_TENANT_ID: info.tenantId,
    AZURE_CLIENT_ID: info.clientId,
    AZURE_CLIENT_SECRET: info.clientSecret,
    DEFENDER_LOG_LEVEL: process.env.DEFENDER_LOG_LEVEL ?? 'info',
  },
});
const code = await new Promise((resolve) => pull.once('exit', (c) => resolve(c ?? 1)));
sim.kill('SIGTERM');
process.stderr.write(`demo: pull exited with ${code}\n`);
process.exitCode = code;
