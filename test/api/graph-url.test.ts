import { describe, expect, it } from 'vitest';
import { buildGraphUrl } from '../../src/api/graph.js';
import { classifyNextLink } from '../../src/api/odata-source.js';
import { buildMdeUrl } from '../../src/api/mde.js';

const options = { baseUrl: new URL('https://graph.microsoft.com'), pageSize: 1000, serviceSource: undefined };
const query = { since: new Date('2024-05-01T10:00:00Z'), until: new Date('2024-05-01T12:00:00Z'), machineGroups: [] };

describe('buildGraphUrl', () => {
  it('asks oldest first within [since, until], the cursor moving the lower bound', () => {
    const url = buildGraphUrl(options, query, { cursor: { at: '2024-05-01T11:00:00.1234567Z', exclusive: false }, top: 1000 });
    expect(url.pathname).toBe('/v1.0/security/alerts_v2');
    expect(url.searchParams.get('$filter')).toBe(
      'lastUpdateDateTime ge 2024-05-01T11:00:00.1234567Z and lastUpdateDateTime le 2024-05-01T12:00:00.000Z',
    );
    expect(url.searchParams.get('$orderby')).toBe('lastUpdateDateTime asc');
    expect(url.searchParams.get('$top')).toBe('1000');
  });

  it('asks newest first for --limit, the cursor moving the upper bound', () => {
    const url = buildGraphUrl(options, query, { cursor: { at: '2024-05-01T11:00:00Z', exclusive: false }, top: 5, newestFirst: true });
    expect(url.searchParams.get('$filter')).toBe(
      'lastUpdateDateTime ge 2024-05-01T10:00:00.000Z and lastUpdateDateTime le 2024-05-01T11:00:00Z',
    );
    expect(url.searchParams.get('$orderby')).toBe('lastUpdateDateTime desc');
  });

  it('moves past an instant read with $skip by excluding it (gt ascending, lt descending)', () => {
    const asc = buildGraphUrl(options, query, { cursor: { at: '2024-05-01T11:00:00.1234567Z', exclusive: true }, top: 1000 });
    expect(asc.searchParams.get('$filter')).toBe(
      'lastUpdateDateTime gt 2024-05-01T11:00:00.1234567Z and lastUpdateDateTime le 2024-05-01T12:00:00.000Z',
    );
    const desc = buildGraphUrl(options, query, {
      cursor: { at: '2024-05-01T11:00:00.1234567Z', exclusive: true },
      top: 5,
      newestFirst: true,
    });
    expect(desc.searchParams.get('$filter')).toBe(
      'lastUpdateDateTime ge 2024-05-01T10:00:00.000Z and lastUpdateDateTime lt 2024-05-01T11:00:00.1234567Z',
    );
  });

  it('pins both bounds to one instant and pages through it with $skip', () => {
    const url = buildGraphUrl(options, query, { top: 1000, tie: { at: '2024-05-01T11:00:00.1234567Z', skip: 500 } });
    expect(url.searchParams.get('$filter')).toBe(
      'lastUpdateDateTime ge 2024-05-01T11:00:00.1234567Z and lastUpdateDateTime le 2024-05-01T11:00:00.1234567Z',
    );
    expect(url.searchParams.get('$skip')).toBe('500');
    expect(buildGraphUrl(options, query, { top: 1000, tie: { at: '2024-05-01T11:00:00Z', skip: 0 } }).searchParams.has('$skip')).toBe(
      false,
    );
  });

  it('filters on the product, quoting it as OData does', () => {
    const url = buildGraphUrl({ ...options, serviceSource: "o'brien" }, { machineGroups: [] }, { top: 10 });
    expect(url.searchParams.get('$filter')).toBe("serviceSource eq 'o''brien'");
  });
});

describe('buildMdeUrl', () => {
  it('filters on lastUpdateTime (or alertCreationTime), pages with $top, expands evidence on request', () => {
    const base = {
      baseUrl: new URL('https://api.security.microsoft.com'),
      pageSize: 10_000,
      filterOn: 'lastUpdateTime' as const,
      expandEvidence: true,
    };
    const url = buildMdeUrl(base, query, 50);
    expect(url.pathname).toBe('/api/alerts');
    expect(url.searchParams.get('$filter')).toBe(
      'lastUpdateTime ge 2024-05-01T10:00:00.000Z and lastUpdateTime le 2024-05-01T12:00:00.000Z',
    );
    expect(url.searchParams.get('$top')).toBe('50');
    expect(url.searchParams.get('$expand')).toBe('evidence');
    expect(buildMdeUrl({ ...base, filterOn: 'alertCreationTime', expandEvidence: false }, query, 10).searchParams.get('$filter')).toContain(
      'alertCreationTime ge',
    );
    expect(url.searchParams.has('$skip')).toBe(false);
    expect(buildMdeUrl(base, query, 10, 20).searchParams.get('$skip')).toBe('20');
  });
});

describe('classifyNextLink', () => {
  const base = new URL('https://graph.microsoft.com/v1.0/security/alerts_v2');
  it('follows a next link on the same origin', () => {
    const link = classifyNextLink('https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=x', base);
    expect(link.kind === 'follow' && link.url.href).toContain('skiptoken');
  });
  it('reports one to another host as foreign, never to be followed: the token stays with its host', () => {
    expect(classifyNextLink('https://evil.example/steal', base)).toEqual({ kind: 'foreign', origin: 'https://evil.example' });
  });
  it('says so when there is none, and refuses one that is not a URL', () => {
    expect(classifyNextLink(undefined, base)).toEqual({ kind: 'none' });
    expect(() => classifyNextLink('http://[broken', base)).toThrow(/not a URL/);
  });
});
