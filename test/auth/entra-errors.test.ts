import { describe, expect, it } from 'vitest';
import { adminConsentUrl, entraError, firstSentence } from '../../src/auth/entra-errors.js';
import { AuthError } from '../../src/errors.js';

function body(code: number, error: string, text: string): string {
  return JSON.stringify({
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: 0b7e-trace\r\nCorrelation ID: 9c1f-corr\r\nTimestamp: 2024-05-01 12:00:00Z`,
    error_codes: [code],
    timestamp: '2024-05-01 12:00:00Z',
    trace_id: '0b7e-trace',
    correlation_id: '9c1f-corr',
  });
}

describe('consent failures', () => {
  const who = {
    authorityHost: new URL('https://login.microsoftonline.us'),
    tenant: 'contoso.onmicrosoft.us',
    clientId: '00000000-0000-4000-8000-0000000000c1',
  };

  it.each([
    [
      7000229,
      'invalid_client',
      'The client application x is missing service principal in the tenant y.',
      'has not been consented in tenant',
    ],
    [65001, 'invalid_grant', 'The user or administrator has not consented to use the application.', 'has not been consented in tenant'],
    [700016, 'unauthorized_client', "Application with identifier 'x' was not found in the directory 'y'.", 'either --client-id is wrong'],
  ])('AADSTS%i says so in plain words and gives the admin consent URL of that tenant', (code, error, text, words) => {
    const err = entraError(400, body(code, error, text), 'https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token', who);
    expect(err.code).toBe(`AADSTS${code}`);
    expect(err.hint).toContain(words);
    expect(err.hint).toContain(
      'https://login.microsoftonline.us/contoso.onmicrosoft.us/adminconsent?client_id=00000000-0000-4000-8000-0000000000c1',
    );
  });

  it('keeps the generic advice when the caller did not say who asked, and for other codes', () => {
    expect(entraError(400, body(65001, 'invalid_grant', 'No consent.'), 'u').hint).toBe(
      'the application has no admin consent for this API: grant admin consent for its API permissions',
    );
    expect(entraError(401, body(7000215, 'invalid_client', 'Invalid client secret provided.'), 'u', who).hint).toContain('Secret ID');
  });

  it('builds the admin consent URL from the cloud, the tenant and the app', () => {
    expect(adminConsentUrl({ ...who, authorityHost: new URL('https://login.microsoftonline.com/') })).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.us/adminconsent?client_id=00000000-0000-4000-8000-0000000000c1',
    );
  });
});

describe('entraError', () => {
  it.each([
    [7000215, 'invalid_client', 'Invalid client secret provided. Ensure the secret being sent is the value.', 'not its Secret ID'],
    [7000222, 'invalid_client', 'The provided client secret keys for app are expired.', 'expired'],
    [700016, 'unauthorized_client', "Application with identifier 'x' was not found in the directory 'y'.", 'not found in this tenant'],
    [90002, 'invalid_request', "Tenant 'x' not found.", 'tenant was not found'],
    [500011, 'invalid_resource', 'The resource principal named x was not found in the tenant named y.', 'graph.windows.net'],
  ])('turns AADSTS%i into exit 3 with the code, first sentence, trace id and a hint', (code, error, text, hint) => {
    const err = entraError(401, body(code, error, text), 'https://login.example/t/oauth2/token');
    expect(err).toBeInstanceOf(AuthError);
    expect(err.exitCode).toBe(3);
    expect(err.code).toBe(`AADSTS${code}`);
    expect(err.message).toContain(`AADSTS${code}: ${text.split('. ')[0]}`);
    expect(err.message).toContain('trace id 0b7e-trace');
    expect(err.message).not.toContain('Correlation ID');
    expect(err.hint).toContain(hint);
  });

  it('gives a generic hint for an unknown invalid_client code', () => {
    const err = entraError(401, body(1234567, 'invalid_client', 'Something new.'), 'u');
    expect(err.code).toBe('AADSTS1234567');
    expect(err.hint).toContain('--client-id');
  });

  it('says plainly when the answer is not Entra JSON (a proxy page)', () => {
    const err = entraError(400, '<html>blocked</html>', 'https://login.example/t/oauth2/token');
    expect(err.code).toBe('TOKEN_HTTP_ERROR');
    expect(err.message).toContain('HTTP 400');
    expect(err.hint).toContain('--authority-host');
  });
});

describe('firstSentence', () => {
  it('keeps only the first sentence of the first line', () => {
    expect(firstSentence('AADSTS90002: Tenant x not found. Check to make sure.\r\nTrace ID: a')).toBe('AADSTS90002: Tenant x not found.');
  });
});
