import { describe, expect, it } from 'vitest';
import { buildSiemUrl, siemError, siemKey } from '../../src/api/siem.js';
import { AuthError, ForbiddenError, NetworkError, ServiceError } from '../../src/errors.js';
import { HttpStatusError, TransportError } from '../../src/http/errors.js';
import type { SiemAlert } from '../../src/alert/siem-schema.js';

const base = new URL('https://wdatp-alertexporter-eu.windows.com');

describe('buildSiemUrl', () => {
  it('appends /api/alerts and no parameter the user did not give', () => {
    expect(buildSiemUrl(base, { machineGroups: [] }).href).toBe('https://wdatp-alertexporter-eu.windows.com/api/alerts');
  });

  it('keeps a path prefix of --base-url', () => {
    expect(buildSiemUrl(new URL('https://proxy.example/defender'), { machineGroups: [] }).pathname).toBe('/defender/api/alerts');
  });

  it('sends every documented parameter under its documented name', () => {
    const url = buildSiemUrl(base, {
      since: new Date('2024-05-01T10:00:00Z'),
      until: new Date('2024-05-01T11:00:00Z'),
      ago: 'PT10M',
      limit: 20,
      machineGroups: ['UK Machines', 'France'],
      deviceTag: 'VIP',
      cloudTag: 'Lab & Test',
    });
    expect([...url.searchParams]).toEqual([
      ['sinceTimeUtc', '2024-05-01T10:00:00.000Z'],
      ['untilTimeUtc', '2024-05-01T11:00:00.000Z'],
      ['ago', 'PT10M'],
      ['limit', '20'],
      ['machinegroups', 'UK Machines'],
      ['machinegroups', 'France'],
      ['DeviceCreatedMachineTags', 'VIP'],
      ['CloudCreatedMachineTags', 'Lab & Test'],
    ]);
  });
});

describe('siemKey', () => {
  const alert = (extra: Partial<SiemAlert>): SiemAlert => ({
    AlertId: 'da1_2',
    LastProcessedTimeUtc: '2024-05-01T10:00:00.1234567Z',
    ...extra,
  });

  it('tells detections of one AlertId apart by FullId', () => {
    expect(siemKey(alert({ FullId: 'da1_2:A' }))).not.toBe(siemKey(alert({ FullId: 'da1_2:B' })));
  });

  it('makes an update (new LastProcessedTimeUtc) a new key', () => {
    expect(siemKey(alert({}))).not.toBe(siemKey(alert({ LastProcessedTimeUtc: '2024-05-01T10:05:00.0000000Z' })));
  });

  it('falls back to AlertId when FullId is absent, null or empty', () => {
    expect(siemKey(alert({ FullId: '' }))).toBe('da1_2|2024-05-01T10:00:00.1234567Z');
    expect(siemKey(alert({ FullId: null }))).toBe('da1_2|2024-05-01T10:00:00.1234567Z');
  });
});

describe('siemError', () => {
  const url = new URL('https://wdatp-alertexporter-eu.windows.com/api/alerts?sinceTimeUtc=x');
  const status = (code: number) => new HttpStatusError({ method: 'GET', url, status: code, headers: {}, bodyText: '' });

  it.each([
    [401, AuthError, 3],
    [403, ForbiddenError, 4],
    [404, ServiceError, 5],
    [410, ServiceError, 5],
  ] as const)('maps HTTP %i to exit %s', (code, type, exitCode) => {
    const err = siemError(status(code), url);
    expect(err).toBeInstanceOf(type);
    expect((err as AuthError).exitCode).toBe(exitCode);
  });

  it('points to the successor APIs when the API is gone (404) or its host no longer resolves', () => {
    expect((siemError(status(404), url) as ServiceError).hint).toContain('alerts_v2');
    const dns = siemError(new TransportError('ENOTFOUND', 'cannot resolve the host name'), url) as NetworkError;
    expect(dns).toBeInstanceOf(NetworkError);
    expect(dns.exitCode).toBe(6);
    expect(dns.hint).toContain('retired');
  });

  it("keeps the plain DNS advice for a --base-url of one's own that does not resolve", () => {
    const own = new URL('https://siem-proxy.corp.example/api/alerts');
    const dns = new TransportError('ENOTFOUND', 'cannot resolve the host name siem-proxy.corp.example');
    expect(siemError(dns, own)).toBe(dns);
  });

  it('leaves other failures as they are', () => {
    const err = status(500);
    expect(siemError(err, url)).toBe(err);
    const reset = new TransportError('ECONNRESET', 'reset');
    expect(siemError(reset, url)).toBe(reset);
  });
});
