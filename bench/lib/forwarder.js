/**
 * A TCP port forwarder that notes when the server's last byte passed through: put between the
 * CLI and the simulator, it tells when the alert answer's last byte reached the client side, to
 * compare with when the first alert appeared on the CLI's stdout. TLS passes through untouched
 * (the simulator's certificate names 127.0.0.1, whatever the port).
 */
import { createServer, connect } from 'node:net';

/**
 * Starts forwarding 127.0.0.1:<free port> → `target` (`https://127.0.0.1:PORT`).
 * @param {string} target
 */
export async function startForwarder(target) {
  const { hostname, port } = new URL(target);
  const state = { lastServerByteAt: 0 };
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    upstream.on('data', () => (state.lastServerByteAt = performance.now()));
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port: listening } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `https://127.0.0.1:${listening}`,
    /** performance.now() of the last byte the server sent through us. */
    get lastServerByteAt() {
      return state.lastServerByteAt;
    },
    close: () =>
      /** @type {Promise<void>} */ (
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        })
      ),
  };
}
