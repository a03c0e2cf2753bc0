/**
 * Property tests of the CEF and LEEF lines: whatever text an alert holds — pipes, backslashes,
 * `=`, CR, LF, tabs, spaces, any Unicode — a reader gets every value back exactly, except for the
 * documented line-break handling (docs/cef-leef.md).
 *
 * Two readers check the CEF lines. nsyslog-parser is an independent one from npm, but it
 * implements only part of rev. 25: it finds the header fields honouring `\|` and `\\` (left in
 * place for the caller to undo), and it splits the extension on spaces and `=` without undoing
 * `\=`, `\\`, `\r` or `\n`. So it checks the header for any text, and extension values for any
 * text free of `=`, `\`, CR and LF. ./cef-reference.ts, written from the specification's text,
 * checks everything.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cefLine } from '../../src/output/cef.js';
import { leefLine } from '../../src/output/leef.js';
import { extensionOf, parseCef } from './cef-reference.js';
import { fullAlert } from './full-alert.js';
import { attributesOf, parseLeef } from './leef-reference.js';
import { propertyRuns } from '../helpers/property-runs.js';

interface NsyslogCef {
  parse(text: string): { headers: Record<string, string | undefined>; fields: Record<string, string | undefined> };
}
const nsyslogCef = createRequire(import.meta.url)('nsyslog-parser/cef.js') as NsyslogCef;

/** The SIEM text fields of Microsoft's table and the CEF and LEEF keys they go to. */
const TEXT_FIELDS = [
  ['Category', 'cat', 'cat'],
  ['Source', 'sourceServiceName', 'Source'],
  ['MachineName', 'shost', 'identHostName'],
  ['FileName', 'fname', 'FileName'],
  ['FilePath', 'filePath', 'FilePath'],
  ['UserDomain', 'sntdom', 'UserDomain'],
  ['UserName', 'suser', 'usrName'],
  ['Sha1', 'fileHash', 'Sha1'],
  ['Sha256', 'cs6', 'Sha256'],
  ['Md5', 'cs5', 'Md5'],
  ['ThreatName', 'cs1', 'ThreatName'],
  ['IpAddress', 'src', 'src'],
  ['Url', 'request', 'url'],
  ['AlertId', 'externalId', 'AlertId'],
  ['LinkToWDATP', 'flexString1', 'LinkToWDATP'],
  ['MachineDomain', 'sourceDnsDomain', 'MachineDomain'],
  ['Actor', 'cs4', 'Actor'],
  ['LogOnUsers', 'suid', 'LogOnUsers'],
] as const;

// The characters the formats give a meaning to, pairs that look like escapes or keys, and any
// code point or grapheme at all.
const tricky = fc.constantFrom('|', '\\', '=', '\r', '\n', '\r\n', '\t', ' ', '  ', 'cs1=', ' suser=x', '\\=', '\\n', '\\|', '=\\', 'x09');
const anyText = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 3 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 10 })
  .map((parts) => parts.join(''));
/** Text nsyslog-parser can read back: nothing it would have to unescape. */
const plainText = anyText.map((s) => s.replace(/[=\\\r\n]/g, ''));

/** Every mapped text field, the title and the rule id, each holding `text`. */
const fieldsOf = (text: fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> =>
  fc.record(Object.fromEntries([...TEXT_FIELDS.map(([field]) => field), 'AlertTitle', 'IoaDefinitionId'].map((field) => [field, text])));

const headerText = (s: string) => s.replace(/\r\n|[\r\n]/g, ' ');
const expectedEventId = (alert: Record<string, string>) => headerText(alert['IoaDefinitionId'] || alert['Category'] || 'Unknown');
const unescapeHeader = (s: string | undefined) => (s ?? '').replace(/\\([\\|])/g, '$1');
const expectedExtension = (alert: Record<string, string>) =>
  Object.fromEntries(TEXT_FIELDS.filter(([field]) => alert[field] !== '').map(([field, key]) => [key, alert[field]]));
const only = (fields: Record<string, string>, keys: readonly string[]) =>
  Object.fromEntries(keys.flatMap((k) => (k in fields ? [[k, fields[k]]] : [])));

const RUNS = { numRuns: propertyRuns(300) };
/** The full alert with these fields; ComputerDnsName, the host's stand-in, left out so MachineName alone decides. */
const alertWith = (fields: Record<string, string>) => fullAlert({ ComputerDnsName: null, ...fields });
const CEF_KEYS = TEXT_FIELDS.map(([, key]) => key);

describe('CEF: any text survives a reader', () => {
  it('the specification reader gets every extension value back exactly, and the header fields with line breaks as spaces', () => {
    fc.assert(
      fc.property(fieldsOf(anyText), (fields) => {
        const line = cefLine(alertWith(fields));
        expect(line).not.toMatch(/[\r\n]/);
        const { header } = parseCef(line);
        const extension = extensionOf(parseCef(line));
        expect(header[4]).toBe(expectedEventId(fields));
        expect(header[5]).toBe(headerText(fields['AlertTitle']!));
        expect(header[6]).toBe('8');
        expect(only(extension, CEF_KEYS)).toEqual(expectedExtension(fields));
      }),
      RUNS,
    );
  });

  it('nsyslog-parser finds the seven header fields where they are, for any text', () => {
    fc.assert(
      fc.property(anyText, anyText, (title, rule) => {
        const { headers } = nsyslogCef.parse(cefLine(fullAlert({ AlertTitle: title, IoaDefinitionId: rule === '' ? 'r' : rule })));
        expect(headers['version']).toBe('CEF:0');
        expect(headers['deviceProduct']).toBe('Microsoft Defender ATP');
        expect(unescapeHeader(headers['deviceEventClassID'])).toBe(rule === '' ? 'r' : headerText(rule));
        expect(unescapeHeader(headers['name'])).toBe(headerText(title));
        expect(headers['severity']).toBe('8');
        expect(headers['extension']?.startsWith('cat=Malware sourceServiceName=EDR ')).toBe(true);
      }),
      RUNS,
    );
  });

  it('nsyslog-parser gets every extension value back exactly, for text it needs not unescape', () => {
    fc.assert(
      fc.property(fieldsOf(plainText), (fields) => {
        const { fields: parsed } = nsyslogCef.parse(cefLine(alertWith(fields)));
        expect(only(parsed as Record<string, string>, CEF_KEYS)).toEqual(expectedExtension(fields));
      }),
      RUNS,
    );
  });
});

describe('LEEF: any text survives a reader', () => {
  it('every value comes back exactly, tabs and line breaks as spaces; the EventID comes back from its escapes', () => {
    fc.assert(
      fc.property(fieldsOf(anyText), (fields) => {
        const line = leefLine(alertWith(fields));
        expect(line).not.toMatch(/[\r\n]/);
        const parsed = parseLeef(line);
        const attributes = attributesOf(parsed);
        const flat = (s: string) => s.replace(/\r\n|[\r\n\t]/g, ' ');
        expect(parsed.header[4]).toBe(expectedEventId(fields));
        const expected = Object.fromEntries(TEXT_FIELDS.filter(([f]) => fields[f] !== '').map(([f, , key]) => [key, flat(fields[f]!)]));
        if (fields['AlertTitle'] !== '') expected['AlertTitle'] = flat(fields['AlertTitle']!);
        expect(only(attributes, [...TEXT_FIELDS.map(([, , key]) => key), 'AlertTitle'])).toEqual(expected);
      }),
      RUNS,
    );
  });
});
