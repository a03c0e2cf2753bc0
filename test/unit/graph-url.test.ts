import { describe, expect, it } from 'vitest';
import { buildGraphUrl } from '../../src/api/graph.js';
import { sameOriginLink } from '../../src/api/odata-source.js';
import { buildMdeUrl } from '../../src/api/mde.js';

const options = { baseUrl: new URL('https://graph.microsoft.com'), pageSize: 1000, serviceSource: undefined };
const query = { since: new Date('2024-05-01T10:00:00Z'), until: new Date('2024-05-01T12:00:00Z'), machineGroups: [] };

describe('buildGraphUrl', () => {
  it('asks oldest first within [since, until], the cursor moving the lower bound', () => {
    const url = buildGraphUrl(options, query, '2024-05-01T11:00:00.1234567Z', 1000);
    expect(url.pathname).toBe('/v1.0/security/alerts_v2');
    expect(url.searchParams.get('$filter')).toBe('lastUpdateDateTime ge 2024-05-01T11:00:00.1234567Z and lastUpdateDateTime le 2024-05-01T12:00:00.000Z');
    expect(url.searchParams.get('$orderby')).toBe('lastUpdateDateTime asc');
    expect(url.searchParams.get('$top')).toBe('1000');
  });

  it('asks newest first for --limit, the cursor moving the upper bound', () => {
    const url = buildGraphUrl(options, query, '2024-05-01T11:00:00Z', 5, true);
    expect(url.searchParams.get('$filter')).toBe('lastUpdateDateTime ge 2024-05-01T10:00:00.000Z and lastUpdateDateTime le 2024-05-01T11:00:00Z');
    expect(url.searchParams.get('$orderby')).toBe('lastUpdateDateTime desc');
  });

  it('filters on the product, quoting it as OData does', () => {
    const url = buildGraphUrl({ ...options, serviceSource: "o'brien" }, { machineGroups: [] }, undefined, 10);
    expect(url.searchParams.get('$filter')).toBe("serviceSource eq 'o''brien'");
  });
});

describe('buildMdeUrl', () => {
  it('filters on lastUpdateTime (or alertCreationTime), pages with $top, expands evidence on request', () => {
    const base = { baseUrl: new URL('https://api.security.microsoft.com'), pageSize: 10_000, filterOn: 'lastUpdateTime' as const, expandEvidence: true };
    const url = buildMdeUrl(base, { ...query, limit: 50 });
    expect(url.pathname).toBe('/api/alerts');
    expect(url.searchParams.get('$filter')).toBe('lastUpdateTime ge 2024-05-01T10:00:00.000Z and lastUpdateTime le 2024-05-01T12:00:00.000Z');
    expect(url.searchParams.get('$top')).toBe('50');
    expect(url.searchParams.get('$expand')).toBe('evidence');
    expect(buildMdeUrl({ ...base, filterOn: 'alertCreationTime', expandEvidence: false }, query).searchParams.get('$filter')).toContain('alertCreationTime ge');
  });
});

describe('sameOriginLink', () => {
  const base = new URL('https://graph.microsoft.com/v1.0/security/alerts_v2');
  it('follows a next link on the same origin', () => {
    expect(sameOriginLink('https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=x', base).href).toContain('skiptoken');
  });
  it('refuses one to another host: the token stays with its host', () => {
    expect(() => sameOriginLink('https://evil.example/steal', base)).toThrow(/another host/);
  });
});
