/**
 * A recording HTTPS cache in front of the simulator, for the OData benchmark (bench/odata.js).
 *
 * Why: the simulator renders every OData page anew from its store — it merges all the detections
 * in the page's time range and renders the page's rows — so at 100 000 alert records one Graph
 * pull costs the simulator ~60 s of CPU on the 2 shared cores, and any timing of the CLI or of curl
 * would mostly time the simulator. The cache passes the first request for each page through to the
 * simulator (streamed, recorded) and answers every later GET of the same URL with the recorded
 * bytes, so the timed runs measure the client and the transfer, not the simulator.
 *
 * Everything else (token requests) is passed through. Answers keep the simulator's links: the
 * Host header is forwarded unchanged, so `@odata.nextLink` and `@odata.context` name the cache's
 * origin. A recorded page is served only to a bearer token the simulator issued through this cache
 * for the same audience (resource) as the token that fetched it: the simulator checked that one.
 */
import { createServer } from 'node:https';
import { Agent, request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from './dist.js';
/** @type {typeof import('../../simulator/cert.js')} */
const { generateSelfSignedCert } = await import(`${DIST}simulator/cert.js`);

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

/**
 * `https://graph.microsoft.com/.default` → `https://graph.microsoft.com`, lower-case, no trailing slash.
 * @param {Buffer} body
 */
function audienceOfForm(body) {
  const form = new URLSearchParams(body.toString('utf8'));
  const requested = form.get('resource') ?? form.get('scope')?.replace(/\/\.default$/i, '');
  return requested?.trim().replace(/\/+$/, '').toLowerCase();
}

/** @param {import('node:http').IncomingMessage} req */
function bearer(req) {
  const value = req.headers.authorization;
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice(7) : undefined;
}

/**
 * Starts the cache on 127.0.0.1:<free port> in front of `sim` (an in-process simulator over HTTPS).
 * Its certificate is written to `<dir>/cache-ca.pem`.
 * @param {import('../../simulator/server.js').Simulator} sim
 * @param {string} dir
 */
export async function startPageCache(sim, dir) {
  const target = new URL(sim.url);
  const { certPem, keyPem } = generateSelfSignedCert({ hosts: ['127.0.0.1', 'localhost'] });
  const caCertPath = join(dir, 'cache-ca.pem');
  writeFileSync(caCertPath, certPem);
  const agent = new Agent({ keepAlive: true, ca: sim.caCertPem });
  /** url (path + query) → the page */
  /** @type {Map<string | undefined, { status: number, contentType: string, body: Buffer, audience: string | undefined }>} */
  const pages = new Map();
  /** access token → audience (looked up with what may be no token at all) */
  /** @type {Map<string | undefined, string | undefined>} */
  const tokens = new Map();
  /** Every alert request, in order. */
  /** @type {{ url: string | undefined, status: number | undefined, hit: boolean }[]} */
  const log = [];
  const counts = { hits: 0, misses: 0, refused: 0 };

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {Buffer} body
   * @param {boolean} isPage
   */
  const pass = (req, res, body, isPage) => {
    const headers = { ...req.headers };
    const upstream = request(
      { host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers, agent },
      (answer) => {
        /** @type {import('node:http').OutgoingHttpHeaders} */
        const out = {};
        for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
        res.writeHead(answer.statusCode ?? 502, out);
        /** @type {Buffer[]} */
        const chunks = [];
        answer.on('data', (chunk) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          res.end();
          const bytes = Buffer.concat(chunks);
          if (isPage) {
            log.push({ url: req.url, status: answer.statusCode, hit: false });
            if (answer.statusCode === 200) {
              pages.set(req.url, {
                status: 200,
                contentType: answer.headers['content-type'] ?? 'application/json',
                body: bytes,
                audience: tokens.get(bearer(req)),
              });
            }
          } else if (answer.statusCode === 200 && req.method === 'POST') {
            try {
              const token = JSON.parse(bytes.toString('utf8')).access_token;
              if (typeof token === 'string') tokens.set(token, audienceOfForm(body));
            } catch {
              // Not a token answer: nothing to remember.
            }
          }
        });
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };

  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0];
      const isPage = req.method === 'GET' && (path === '/api/alerts' || path === '/v1.0/security/alerts_v2');
      const cached = isPage ? pages.get(req.url) : undefined;
      if (cached === undefined) {
        if (isPage) counts.misses++;
        pass(req, res, body, isPage);
        return;
      }
      const audience = tokens.get(bearer(req));
      if (audience === undefined || audience !== cached.audience) {
        counts.refused++;
        log.push({ url: req.url, status: 401, hit: true });
        const text = JSON.stringify({
          error: { code: 'InvalidAuthenticationToken', message: 'page cache: token not issued for this API' },
        });
        res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      counts.hits++;
      log.push({ url: req.url, status: 200, hit: true });
      res.writeHead(200, { 'content-type': cached.contentType, 'content-length': cached.body.length });
      res.end(cached.body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const url = `https://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return {
    url,
    caCertPath,
    caCertPem: certPem,
    /** The recorded page at `path` (path + query, as requested), or undefined. */
    page: (/** @type {string} */ path) => pages.get(path),
    /** Alert requests seen since the last `take()`, and the hit/miss counts; then forgets them. */
    take() {
      const seen = { requests: log.splice(0), ...counts };
      counts.hits = counts.misses = counts.refused = 0;
      return seen;
    },
    /** Bytes held, all pages. */
    get bytes() {
      let n = 0;
      for (const p of pages.values()) n += p.body.length;
      return n;
    },
    close: () =>
      /** @type {Promise<void>} */ (
        new Promise((resolve) => {
          agent.destroy();
          server.close(() => resolve());
          server.closeAllConnections();
        })
      ),
  };
}
