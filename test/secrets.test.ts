/**
 * The registry of secrets no output may contain holds only what is live: a service that renews
 * its tokens every hour for months, or signs a client assertion for each, keeps as many values as
 * it has credentials, not as many as it ever received. And the matcher finds every form of every
 * live secret in one pass.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppCredential } from '../src/auth/app-credential.js';
import { readCertificateFile } from '../src/auth/certificate-file.js';
import { createClientAssertion } from '../src/auth/client-assertion.js';
import { parseUserTokens, userTokenSlots } from '../src/auth/user-credential.js';
import { createDispatcher } from '../src/http/dispatcher.js';
import { REDACTED, scrubSecrets, SecretMatcher, secretForms } from '../src/http/redact.js';
import { createLogger } from '../src/log.js';
import { redactSecrets, SECRETS, SecretRegistry, SecretSlot } from '../src/secrets.js';
import { startSimulator, type Simulator } from '../simulator/server.js';
import { fastFailRetry } from './helpers/retry.js';

describe('SecretRegistry', () => {
  it('a token renewed 5 minutes before its expiry, 10 000 times: two hidden at most, the current one among them', () => {
    let now = 0;
    const registry = new SecretRegistry(() => now);
    const slot = new SecretSlot(registry);
    for (let i = 0; i < 10_000; i++) {
      slot.set(`token-number-${i}-xxxxxxxx`, now + 3_600_000);
      expect(registry.size).toBeLessThanOrEqual(2);
      now += 3_300_000;
    }
    now -= 3_300_000;
    // The one it replaced still opens the API for five minutes: still hidden; older ones are not.
    expect(registry.redact('a token-number-9999-xxxxxxxx b')).toBe(`a ${REDACTED} b`);
    expect(registry.redact('a token-number-9998-xxxxxxxx b')).toBe(`a ${REDACTED} b`);
    expect(registry.redact('a token-number-9997-xxxxxxxx b')).toBe('a token-number-9997-xxxxxxxx b');
  });

  it('a value without an expiry (a refresh token) goes as soon as the next one replaces it', () => {
    const registry = new SecretRegistry();
    const slot = new SecretSlot(registry);
    for (let i = 0; i < 1000; i++) slot.set(`refresh-token-${i}-xxxxxxxx`);
    expect(registry.size).toBe(1);
    expect(registry.redact('refresh-token-998-xxxxxxxx')).toBe('refresh-token-998-xxxxxxxx');
  });

  it('256 tenants renewing hourly hold at most two tokens each, even when no line is ever redacted', () => {
    let now = 0;
    const registry = new SecretRegistry(() => now);
    registry.hold('the-client-secret');
    const slots = Array.from({ length: 256 }, () => new SecretSlot(registry));
    for (let hour = 0; hour < 100; hour++) {
      slots.forEach((slot, i) => slot.set(`tenant-${i}-token-${hour}`, now + 3_900_000));
      // A service logging at warn writes no line: the renewals alone must let the old ones go.
      expect(registry.size).toBeLessThanOrEqual(1 + 2 * 256);
      now += 3_600_000;
    }
    expect(registry.size).toBeGreaterThanOrEqual(1 + 256);
  });

  it('a released hold lets its value go; a value held twice stays until both let it go', () => {
    const registry = new SecretRegistry();
    const first = registry.hold('client-assertion-1');
    const second = registry.hold('client-assertion-1');
    first.release();
    first.release();
    expect(registry.redact('client-assertion-1')).toBe(REDACTED);
    second.release();
    expect(registry.size).toBe(0);
    expect(registry.redact('client-assertion-1')).toBe('client-assertion-1');
  });

  it('a token leaves when it expires, and a hold released after that touches nothing new', () => {
    let now = 1_000_000;
    const registry = new SecretRegistry(() => now);
    const old = registry.hold('expiring-token-a', now + 1000);
    registry.hold('process-long-secret');
    expect(registry.size).toBe(2);
    now += 1000;
    expect(registry.redact('expiring-token-a')).toBe('expiring-token-a');
    expect(registry.size).toBe(1);
    // The same value comes back (held anew): the stale hold must not release the new one.
    registry.hold('expiring-token-a');
    old.release();
    expect(registry.redact('expiring-token-a')).toBe(REDACTED);
  });

  it('values shorter than 8 characters are never held (they would censor ordinary words)', () => {
    const registry = new SecretRegistry();
    registry.hold('short');
    expect(registry.size).toBe(0);
    expect(registry.redact('short')).toBe('short');
  });
});

describe('SecretMatcher', () => {
  it('finds every form of a secret: raw, percent-encoded, form-encoded and JSON-escaped', () => {
    const secret = 'p@ss w/"rd"+~secret';
    const forms = secretForms(secret);
    expect(forms).toHaveLength(4);
    const matcher = new SecretMatcher([secret]);
    for (const form of forms) expect(matcher.scrub(`<${form}>`)).toBe(`<${REDACTED}>`);
  });

  it('replaces a form containing another whole, and back-to-back secrets each', () => {
    const matcher = new SecretMatcher(['abcdefgh', 'abcdefghijkl']);
    expect(matcher.scrub('xabcdefghijklx')).toBe(`x${REDACTED}x`);
    expect(matcher.scrub('abcdefghabcdefgh')).toBe(`${REDACTED}${REDACTED}`);
    expect(matcher.scrub('abcdefg')).toBe('abcdefg');
  });

  it('no secret survives in any text, and text without one comes back unchanged (property)', () => {
    const secret = fc.string({ minLength: 8, maxLength: 24, unit: fc.constantFrom('a', 'b', 'c', '%', '"', ' ', '\\', 'é', '+') });
    fc.assert(
      fc.property(
        fc.array(secret, { minLength: 1, maxLength: 6 }),
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }),
        (secrets, filler) => {
          const forms = secrets.flatMap(secretForms);
          const text = filler.map((f, i) => f + (forms[i % forms.length] ?? '')).join('');
          const out = scrubSecrets(text, secrets);
          for (const form of forms) expect(out).not.toContain(form);
          const clean = filler.join('|');
          if (!forms.some((form) => clean.includes(form))) expect(scrubSecrets(clean, secrets)).toBe(clean);
        },
      ),
    );
  });

  it('a text shorter than the shortest secret, or no secrets at all, is returned as is', () => {
    expect(new SecretMatcher([]).scrub('anything at all')).toBe('anything at all');
    expect(new SecretMatcher(['abcdefghij']).scrub('abc')).toBe('abc');
  });
});

describe('the process registry after a service has signed in many times', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ https: false, tokenLifetimeSeconds: 1 });
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function credential(proof: ConstructorParameters<typeof AppCredential>[0]['proof']): AppCredential {
    return new AppCredential({
      authorityHost: new URL(sim.url),
      tenant: sim.credentials.tenantId,
      clientId: sim.credentials.clientId,
      proof,
      audience: { version: 'v2', scope: 'https://graph.microsoft.com/.default' },
      dispatcher: createDispatcher({ timeoutMs: 5_000, env: {} }),
      retry: fastFailRetry(),
      timeoutMs: 5_000,
      log: createLogger('silent'),
    });
  }

  it('30 certificate sign-ins leave one token hidden, and no assertion, while each assertion was hidden during its request', async () => {
    const loaded = await certificateOf(sim.clientCertificatePem ?? '');
    const hiddenDuring: boolean[] = [];
    const app = credential({
      assertion: (tokenUrl) => {
        const assertion = createClientAssertion({ clientId: sim.credentials.clientId, tokenUrl, cert: loaded });
        // The credential holds it right after signing: check on the next turn, while the request runs.
        setImmediate(() => hiddenDuring.push(!redactSecrets(assertion).includes(assertion)));
        return assertion;
      },
    });
    // Only the clock is faked: each sign-in comes an hour after the last, so every token but the
    // last has expired (the simulator's live 1 s) when the next arrives.
    vi.useFakeTimers({ toFake: ['Date'] });
    const before = SECRETS.size;
    const tokens: string[] = [];
    for (let i = 0; i < 30; i++) {
      vi.setSystemTime(Date.now() + 3_600_000);
      tokens.push((await app.getToken()).token);
    }
    expect(new Set(tokens).size).toBe(30);
    expect(SECRETS.size - before).toBe(1);
    expect(redactSecrets(tokens.at(-1) ?? '')).toBe(REDACTED);
    expect(redactSecrets(tokens[0] ?? '')).toBe(tokens[0]);
    expect(hiddenDuring).toHaveLength(30);
    expect(hiddenDuring.every(Boolean)).toBe(true);
  });

  it('30 hourly user-token refreshes through one set of slots hold three values', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const slots = userTokenSlots();
    const before = SECRETS.size;
    for (let i = 0; i < 30; i++) {
      vi.setSystemTime(Date.now() + 3_600_000);
      const body = JSON.stringify({
        access_token: `access-${i}-xxxxxxxx`,
        refresh_token: `refresh-${i}-xxxxxxx`,
        id_token: `id.${i}.xxxxxxxx`,
        expires_in: 3600,
      });
      parseUserTokens(body, Date.now(), 'https://login.example/token', slots);
    }
    expect(SECRETS.size - before).toBe(3);
  });
});

/** The simulator's published client certificate, read as the CLI reads --client-certificate. */
async function certificateOf(pem: string): ReturnType<typeof readCertificateFile> {
  const dir = await mkdtemp(join(tmpdir(), 'defender-alerts-cert-'));
  try {
    const path = join(dir, 'client.pem');
    await writeFile(path, pem, { mode: 0o600 });
    return await readCertificateFile(path, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
