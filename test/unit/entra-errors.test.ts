import { describe, expect, it } from 'vitest';
import { entraError, firstSentence } from '../../src/auth/entra-errors.js';
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
