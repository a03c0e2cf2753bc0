/**
 * Which values of a request count as its secrets (the error copy of an echoed request is scrubbed
 * of them), and the matcher's bookkeeping when secrets share forms or come and go.
 * test/secrets.test.ts covers the matching itself.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, requestSecrets, scrubSecrets, SecretMatcher, secretForms } from '../../src/http/redact.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' };

describe('requestSecrets', () => {
  it('takes the Authorization and Proxy-Authorization headers, whatever their case, and the credentials after the scheme', () => {
    expect(requestSecrets({ authorization: 'Bearer eyJ.abc.def', Accept: 'application/json' }, undefined)).toEqual([
      'Bearer eyJ.abc.def',
      'eyJ.abc.def',
    ]);
    expect(requestSecrets({ 'Proxy-Authorization': 'Basic dXNlcjpwYXNz' }, undefined)).toEqual(['Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz']);
    expect(requestSecrets({ AUTHORIZATION: 'opaque-value' }, undefined)).toEqual(['opaque-value']);
  });

  it('takes no other header, and no part of a value that is not `scheme credentials`', () => {
    expect(requestSecrets({ 'X-Api-Key': 'not-looked-at', Cookie: 'a=b; c=d' }, undefined)).toEqual([]);
    expect(requestSecrets({ Authorization: 'Bearer two words' }, undefined)).toEqual(['Bearer two words']);
    expect(requestSecrets({ Authorization: ' leading-space' }, undefined)).toEqual([' leading-space']);
    expect(requestSecrets({ Authorization: 'Bearer  abcd' }, undefined)).toEqual(['Bearer  abcd', 'abcd']);
  });

  it('takes the secret fields of a form body, and only of a form body', () => {
    const body = 'grant_type=client_credentials&client_secret=s%26cret&client_assertion=eyJ.x&password=hunter22&refresh_token=rt-1&scope=x';
    expect(requestSecrets(FORM, body)).toEqual(['s&cret', 'eyJ.x', 'hunter22', 'rt-1']);
    expect(requestSecrets({ 'content-type': 'application/json' }, body)).toEqual([]);
    expect(requestSecrets({}, body)).toEqual([]);
    expect(requestSecrets(FORM, undefined)).toEqual([]);
  });

  it('leaves out values shorter than 4 characters, which would censor ordinary text', () => {
    expect(requestSecrets(FORM, 'client_secret=abc&password=abcd')).toEqual(['abcd']);
    expect(requestSecrets({ Authorization: 'Bearer xyz' }, undefined)).toEqual(['Bearer xyz']);
  });
});

describe('secretForms', () => {
  it('lists each way a secret can appear once: as is, percent-, form- and JSON-encoded', () => {
    expect(secretForms('a b"c/d')).toEqual(['a b"c/d', 'a%20b%22c%2Fd', 'a+b%22c%2Fd', 'a b\\"c/d']);
    expect(secretForms('plain-token')).toEqual(['plain-token']);
    expect(secretForms('')).toEqual([]);
  });
});

describe('SecretMatcher bookkeeping', () => {
  it('counts distinct forms; a secret added twice stays until it is deleted twice', () => {
    const matcher = new SecretMatcher();
    expect(matcher.size).toBe(0);
    matcher.add('secret value 1');
    // As is (and so JSON-escaped), percent- and form-encoded.
    expect(matcher.size).toBe(3);
    matcher.add('secret value 1');
    matcher.delete('secret value 1');
    expect(matcher.size).toBe(3);
    expect(matcher.scrub('x secret value 1 x')).toBe(`x ${REDACTED} x`);
    matcher.delete('secret value 1');
    expect(matcher.size).toBe(0);
    expect(matcher.scrub('x secret value 1 x')).toBe('x secret value 1 x');
  });

  it('keeps a form two secrets share until both are gone, and each secret’s other forms apart', () => {
    // "a b" and "a+b" share the form-encoded "a+b".
    const matcher = new SecretMatcher([], 3);
    matcher.add('a b');
    matcher.add('a+b');
    matcher.delete('a b');
    expect(matcher.scrub('[a+b] [a b] [a%2Bb]')).toBe(`[${REDACTED}] [a b] [${REDACTED}]`);
    matcher.delete('a+b');
    expect(matcher.scrub('[a+b]')).toBe('[a+b]');
  });

  it('deletes one form of a bucket and keeps the others sharing its key', () => {
    const matcher = new SecretMatcher(['abcdefgh-1', 'abcdefgh-22']);
    matcher.delete('abcdefgh-22');
    expect(matcher.scrub('abcdefgh-22 abcdefgh-1')).toBe(`abcdefgh-22 ${REDACTED}`);
    matcher.delete('abcdefgh-1');
    expect(matcher.scrub('abcdefgh-1')).toBe('abcdefgh-1');
    matcher.delete('never-added-value');
    expect(matcher.size).toBe(0);
  });

  it('ignores a secret shorter than its key, both ways', () => {
    const matcher = new SecretMatcher(['abcdefgh'], 8);
    matcher.add('short');
    matcher.delete('short');
    matcher.delete('abcdefg');
    expect(matcher.size).toBe(1);
    expect(matcher.scrub('short abcdefgh')).toBe(`short ${REDACTED}`);
  });

  it('finds a secret exactly as long as the text, and one at the very end', () => {
    const matcher = new SecretMatcher(['abcdefgh']);
    expect(matcher.scrub('abcdefgh')).toBe(REDACTED);
    expect(matcher.scrub('xabcdefgh')).toBe(`x${REDACTED}`);
    expect(matcher.scrub('abcdefghabcdefgh')).toBe(REDACTED + REDACTED);
    expect(matcher.scrub('abcdefgh-abcdefg')).toBe(`${REDACTED}-abcdefg`);
  });
});

describe('scrubSecrets', () => {
  it('ignores empty secrets and works with a secret shorter than the usual key', () => {
    expect(scrubSecrets('a b c', ['', ''])).toBe('a b c');
    expect(scrubSecrets('key=abcd;', ['', 'abcd'])).toBe(`key=${REDACTED};`);
  });
});
