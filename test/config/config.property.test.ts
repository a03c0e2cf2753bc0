/**
 * Property-based tests of tenant and URL validation through `resolvePullConfig`: whatever a user
 * (or an env file) puts in AZURE_TENANT_ID, DEFENDER_BASE_URL, AZURE_AUTHORITY_HOST or the
 * filters, it is either refused with a UsageError before any request, or it lands in exactly
 * one URL path segment / query value — never a new path, host, query parameter or credential.
 * And whatever the value of a setting of the option table, a refusal is in the tool's own words.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenUrl } from '../../src/auth/app-credential.js';
import { buildSiemUrl } from '../../src/api/siem.js';
import { resolvePullConfig, type PullConfig } from '../../src/config/resolve.js';
import { optionKey, PULL_SETTINGS, settingLabel, type SettingSpec } from '../../src/config/spec.js';
import { UsageError } from '../../src/errors.js';
import { propertyRuns } from '../helpers/property-runs.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const GOOD = {
  AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
  AZURE_CLIENT_ID: '00000000-0000-4000-8000-0000000000c1',
  AZURE_CLIENT_SECRET: 'secret-value',
  DEFENDER_REGION: 'eu',
};

function resolve(env: Record<string, string>, flags: Record<string, unknown> = {}): PullConfig | UsageError {
  try {
    return resolvePullConfig({ flags, env: { ...GOOD, ...env }, now: NOW });
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err; // anything else is a bug
  }
}

/** Tenant-ish text: domains, GUIDs, and the characters an attacker would try. */
const tenantText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.domain(),
  fc.uuid(),
  fc.string({ unit: fc.constantFrom('a', 'b', '0', '.', '-', '/', '?', '#', '%', '@', ':', '\\', ' ', '\n', 'é'), maxLength: 30 }),
);

describe('tenant validation', () => {
  it('any tenant is refused (naming --tenant) or becomes exactly one path segment of the token URL', () => {
    fc.assert(
      fc.property(tenantText, fc.constantFrom('https://login.microsoftonline.com', 'https://login.example.org/prefix'), (tenant, host) => {
        const result = resolve({ AZURE_TENANT_ID: tenant, AZURE_AUTHORITY_HOST: host });
        if (result instanceof UsageError) {
          if (tenant !== '') expect(result.message).toContain('--tenant (or AZURE_TENANT_ID)');
          return;
        }
        expect(tenant).toMatch(/^[A-Za-z0-9.-]+$/);
        expect(tenant).not.toContain('..');
        const url = tokenUrl(result.authorityHost, result.tenant);
        expect(url.origin).toBe(new URL(host).origin);
        expect(url.pathname).toBe(`${new URL(host).pathname.replace(/\/$/, '')}/${tenant}/oauth2/token`);
        expect(url.search).toBe('');
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('every GUID and every ordinary domain is accepted', () => {
    fc.assert(
      fc.property(fc.uuid(), (guid) => {
        expect(resolve({ AZURE_TENANT_ID: guid })).not.toBeInstanceOf(UsageError);
      }),
    );
    fc.assert(
      fc.property(
        fc.domain().filter((d) => /\.[a-z]{2,63}$/i.test(d) && d.length <= 253),
        (domain) => {
          expect(resolve({ AZURE_TENANT_ID: domain })).not.toBeInstanceOf(UsageError);
        },
      ),
    );
  });
});

/** `https://x.example?` and `…#`: an empty query or fragment, which URL keeps in `href` (see below). */
function emptyQueryOrFragment(text: string): boolean {
  try {
    const url = new URL(text);
    return url.search === '' && url.hash === '' && /[?#]/.test(text.replace(/^[a-z]+:\/\/[^/?#]*/i, ''));
  } catch {
    return false;
  }
}

describe('base URL and authority host validation', () => {
  // A URL ending in an empty "?" or "#" has an empty search and hash, but `href` keeps the mark, so
  // /api/alerts appended to `href` would land *after* it. origin() rebuilds the URL from origin +
  // path.
  it('a base URL with an empty query or fragment still gets /api/alerts as its path', () => {
    for (const text of ['https://a.example?', 'https://a.example#', 'https://a.example/base/?#']) {
      const result = resolve({ DEFENDER_BASE_URL: text, DEFENDER_REGION: '' });
      if (result instanceof UsageError) continue; // refusing it is a fix too
      expect(buildSiemUrl(result.baseUrl, result.query).pathname).toMatch(/\/api\/alerts$/);
    }
  });

  const urlText = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.webUrl().map((u) => u.replace(/^https?:/, 'http:')),
    fc.constantFrom(
      'http://127.0.0.1:8443',
      'http://localhost:1',
      'http://[::1]:2',
      'http://127.9.9.9',
      'http://10.0.0.1',
      'ftp://x.example',
      'file:///etc/passwd',
      'https://user:pw@x.example',
      'javascript:alert(1)',
    ),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );

  it('any base URL: refused, or https (http only on loopback) without query, fragment or credentials — and /api/alerts stays below it', () => {
    fc.assert(
      fc.property(urlText, (text) => {
        fc.pre(!emptyQueryOrFragment(text));
        const result = resolve({ DEFENDER_BASE_URL: text, DEFENDER_REGION: '' });
        if (result instanceof UsageError) {
          expect(result.message).toContain('--base-url (or DEFENDER_BASE_URL)');
          return;
        }
        const base = result.baseUrl;
        const loopback = ['localhost', '[::1]'].includes(base.hostname) || base.hostname.startsWith('127.');
        expect(base.protocol === 'https:' || (base.protocol === 'http:' && loopback)).toBe(true);
        expect([base.username, base.password, base.search, base.hash]).toEqual(['', '', '', '']);
        const api = buildSiemUrl(base, result.query);
        expect(api.origin).toBe(base.origin);
        expect(api.pathname).toBe(`${base.pathname.replace(/\/+$/, '')}/api/alerts`);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('any authority host obeys the same rule', () => {
    fc.assert(
      fc.property(urlText, (text) => {
        const result = resolve({ AZURE_AUTHORITY_HOST: text });
        if (result instanceof UsageError) return;
        const host = result.authorityHost;
        const loopback = ['localhost', '[::1]'].includes(host.hostname) || host.hostname.startsWith('127.');
        expect(host.protocol === 'https:' || (host.protocol === 'http:' && loopback)).toBe(true);
        expect([host.username, host.password, host.search, host.hash]).toEqual(['', '', '', '']);
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

/** Lone surrogates become U+FFFD, as in any UTF-8 URL (String#toWellFormed, ES2024). */
const wellFormed = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

describe('filters reach the query as values, never as new parameters', () => {
  it('any machine groups and tags round-trip through the URL exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), { maxLength: 4 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        (groups, tag) => {
          const result = resolve({}, { machineGroup: groups, deviceTag: tag, cloudTag: tag });
          expect(result).not.toBeInstanceOf(UsageError);
          const url = buildSiemUrl((result as PullConfig).baseUrl, (result as PullConfig).query);
          expect(url.searchParams.getAll('machinegroups')).toEqual(groups.map(wellFormed));
          expect(url.searchParams.get('DeviceCreatedMachineTags')).toBe(wellFormed(tag));
          expect([...new Set(url.searchParams.keys())].sort()).toEqual(
            [...(groups.length > 0 ? ['machinegroups'] : []), 'DeviceCreatedMachineTags', 'CloudCreatedMachineTags'].sort(),
          );
        },
      ),
    );
  });

  it('any --since/--until text is refused with a UsageError or resolves to a real instant', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.integer({ min: 0, max: 999_999_999 }).map((n) => `${n}d`),
        ),
        (since) => {
          const result = resolve({}, { since });
          if (!(result instanceof UsageError)) expect(Number.isFinite(result.query.since?.getTime())).toBe(true);
        },
      ),
    );
  });
});

describe('the problems of any value', () => {
  // Checked with --state and --follow, so that a value's own problem is the only one about it.
  const context = { state: 's.json', follow: true, format: 'ndjson' };
  const valued: readonly SettingSpec[] = PULL_SETTINGS.filter((s) => s.value.kind !== 'switch' && s.flag !== 'format');

  it("any text for any pull setting: accepted, or each problem once, on a line of its own, never in zod's words", () => {
    fc.assert(
      fc.property(fc.constantFrom(...valued), fc.string({ unit: 'binary', maxLength: 25 }), (spec, text) => {
        const result = resolve({}, { ...context, [optionKey(spec.flag)]: spec.repeatable ? [text] : text });
        if (!(result instanceof UsageError)) return;
        const lines = result.problems ?? [];
        expect(lines.length).toBeGreaterThan(0);
        expect(new Set(lines).size).toBe(lines.length);
        for (const line of lines) {
          expect(line).toMatch(/^--[a-z]/);
          expect(line).not.toMatch(/Too (big|small)|Invalid (input|option)|expected (int|number|string|array|boolean)\b/);
        }
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('any digits for a whole-number setting: accepted when in range, else one problem naming the range', () => {
    const whole = PULL_SETTINGS.flatMap((s) => (s.value.kind === 'whole' ? [{ flag: s.flag, label: settingLabel(s), ...s.value }] : []));
    const named = /^--[a-z-]+(?: \(or \w+\))?:/;
    // Numbers around the ranges, and numbers too long for a JavaScript number to hold exactly.
    const digits = fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }).map(String), fc.stringMatching(/^[1-9]\d{15,24}$/));
    fc.assert(
      fc.property(fc.constantFrom(...whole), digits, ({ flag, label, min, max }, text) => {
        const result = resolve({}, { api: 'mde', state: 's.json', [optionKey(flag)]: text });
        const lines = result instanceof UsageError ? (result.problems ?? [result.message]) : [];
        const own = lines.filter((l) => named.exec(l)?.[0].startsWith(`--${flag}`));
        const n = Number(text);
        expect(own).toEqual(n >= min && n <= max ? [] : [`${label}: must be ${n < min ? `at least ${min}` : `at most ${max}`}`]);
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
