import { describe, expect, it } from 'vitest';
import { cefLine } from '../../src/output/cef.js';
import { extensionOf, parseCef } from './cef-reference.js';
import { fullAlert } from './full-alert.js';

const ALERT_TIME_MS = Date.UTC(2020, 8, 30, 14, 9, 20, 357);

const parsed = (alert: Record<string, unknown>) => parseCef(cefLine(alert));
const ext = (alert: Record<string, unknown>) => extensionOf(parsed(alert));

describe("cefLine: Microsoft's ArcSight mapping", () => {
  it('writes the header of the mapping: vendor, product, mapping version, rule id, title, severity', () => {
    expect(parsed(fullAlert()).header).toEqual([
      'CEF:0',
      'Microsoft',
      'Microsoft Defender ATP',
      '2.0',
      'b20af1d2-5990-4672-87f1-acc2a8ff7725',
      'Suspicious File Activity',
      '8',
    ]);
  });

  it("puts every field of Microsoft's table under its CEF key, in the table's order, custom fields labelled", () => {
    expect(parsed(fullAlert()).extension).toEqual([
      ['cat', 'Malware'],
      ['sourceServiceName', 'EDR'],
      ['shost', 'mymachine1'],
      ['fname', 'cmdParent.exe'],
      ['filePath', 'C:\\WINDOWS\\SysWOW64\\boo3\\qwerty'],
      ['sntdom', 'CONTOSO'],
      ['suser', 'liz.bean'],
      ['fileHash', 'aabbccddee1122334455aabbccddee1122334455'],
      ['cs6Label', 'Sha256'],
      ['cs6', 'ebf54f745dc81e1958f75e4ca91dd0ab989fc9787bb6b0bf993e2f5'],
      ['cs5Label', 'Md5'],
      ['cs5', '854b85cbff2752fcb88606bca76f83c6'],
      ['cs1Label', 'ThreatName'],
      ['cs1', 'HackTool:Win32/Mikatz!dha'],
      ['src', '218.90.204.141'],
      ['request', 'down.esales360.cn'],
      ['cn2Label', 'RemediationIsSuccess'],
      ['cn2', '1'],
      ['cn1Label', 'WasExecutingWhileDetected'],
      ['cn1', '0'],
      ['externalId', 'da637370718981685665_16349121'],
      ['flexString1Label', 'LinkToWDATP'],
      ['flexString1', 'https://securitycenter.windows.com/alert/da637370718981685665_16349121'],
      ['rt', String(ALERT_TIME_MS)],
      ['sourceDnsDomain', 'domain.com'],
      ['cs4Label', 'Actor'],
      ['cs4', 'BORON'],
      ['suid', 'contoso\\liz-bean; contoso\\jay-hardee'],
    ]);
  });

  it('is one line of exactly these bytes (backslashes doubled in values, no terminator)', () => {
    expect(cefLine(fullAlert())).toBe(
      'CEF:0|Microsoft|Microsoft Defender ATP|2.0|b20af1d2-5990-4672-87f1-acc2a8ff7725|Suspicious File Activity|8|' +
        'cat=Malware sourceServiceName=EDR shost=mymachine1 fname=cmdParent.exe filePath=C:\\\\WINDOWS\\\\SysWOW64\\\\boo3\\\\qwerty ' +
        'sntdom=CONTOSO suser=liz.bean fileHash=aabbccddee1122334455aabbccddee1122334455 ' +
        'cs6Label=Sha256 cs6=ebf54f745dc81e1958f75e4ca91dd0ab989fc9787bb6b0bf993e2f5 cs5Label=Md5 cs5=854b85cbff2752fcb88606bca76f83c6 ' +
        'cs1Label=ThreatName cs1=HackTool:Win32/Mikatz!dha src=218.90.204.141 request=down.esales360.cn ' +
        'cn2Label=RemediationIsSuccess cn2=1 cn1Label=WasExecutingWhileDetected cn1=0 externalId=da637370718981685665_16349121 ' +
        'flexString1Label=LinkToWDATP flexString1=https://securitycenter.windows.com/alert/da637370718981685665_16349121 ' +
        `rt=${ALERT_TIME_MS} sourceDnsDomain=domain.com cs4Label=Actor cs4=BORON suid=contoso\\\\liz-bean; contoso\\\\jay-hardee`,
    );
  });

  it('carries no field the table leaves unmapped (ComputerDnsName, LastProcessedTimeUtc, the lists and links)', () => {
    const line = cefLine(fullAlert());
    for (const value of ['mymachine1.domain.com', '2020-09-30T14:11:44', '192.168.1.7', 'security.microsoft.com', 'Test Alert']) {
      expect(line).not.toContain(value);
    }
  });
});

describe('cefLine: absent values', () => {
  it.each([
    ['null', null],
    ['""', ''],
    ['a missing key', undefined],
  ])('leaves out a key whose value is %s, and its label with it', (_name, empty) => {
    const alert = fullAlert({ ThreatName: empty, Category: empty, UserName: empty, RemediationIsSuccess: empty });
    const keys = Object.keys(ext(alert));
    for (const key of ['cs1', 'cs1Label', 'cat', 'suser', 'cn2', 'cn2Label']) expect(keys).not.toContain(key);
    expect(keys).toContain('cs6');
  });

  it('never writes a key with nothing after it, even for an alert of nothing but nulls', () => {
    const empty = Object.fromEntries(Object.keys(fullAlert()).map((k) => [k, null]));
    expect(cefLine(empty)).toBe('CEF:0|Microsoft|Microsoft Defender ATP|2.0|Unknown||Unknown|');
    expect(cefLine(fullAlert({ Actor: '' }))).not.toMatch(/=( |$)/);
  });

  it('takes the host from ComputerDnsName when MachineName is absent (2017 answers), and MachineName first', () => {
    expect(ext(fullAlert({ MachineName: null })).shost).toBe('mymachine1.domain.com');
    expect(ext(fullAlert()).shost).toBe('mymachine1');
  });

  it('writes the two booleans as 1 and 0, and leaves out anything that is not a boolean', () => {
    expect(ext(fullAlert({ RemediationIsSuccess: false, WasExecutingWhileDetected: true }))).toMatchObject({ cn2: '0', cn1: '1' });
    expect(ext(fullAlert({ RemediationIsSuccess: 'true', WasExecutingWhileDetected: 1 }))).not.toHaveProperty('cn2');
    expect(ext(fullAlert({ WasExecutingWhileDetected: 1 }))).not.toHaveProperty('cn1');
  });

  it('writes numbers as their decimal text and ignores values that are not scalars', () => {
    expect(ext(fullAlert({ AlertId: 1234, Sha1: { nested: true }, Md5: ['x'] }))).toMatchObject({ externalId: '1234' });
    expect(ext(fullAlert({ Sha1: { nested: true }, Md5: ['x'] }))).not.toHaveProperty('fileHash');
    expect(ext(fullAlert({ Md5: ['x'], Url: Number.NaN }))).not.toHaveProperty('cs5');
    expect(ext(fullAlert({ Url: Number.NaN }))).not.toHaveProperty('request');
  });
});

describe('cefLine: Signature ID and severity', () => {
  it("is the alert's IoaDefinitionId, the 2017 spelling IoaDefinitiondId, else its category, else Unknown", () => {
    const sig = (overrides: Record<string, unknown>) => parsed(fullAlert(overrides)).header[4];
    expect(sig({})).toBe('b20af1d2-5990-4672-87f1-acc2a8ff7725');
    expect(sig({ IoaDefinitionId: null, IoaDefinitiondId: '7f1c3609-a3ff-40e2-995b-c01770161d68' })).toBe(
      '7f1c3609-a3ff-40e2-995b-c01770161d68',
    );
    expect(sig({ IoaDefinitionId: '' })).toBe('Malware');
    expect(sig({ IoaDefinitionId: '', Category: null })).toBe('Unknown');
  });

  it.each([
    ['Informational', '1'],
    ['Low', '3'],
    ['Medium', '6'],
    ['High', '8'],
    ['high', '8'],
    ['LOW', '3'],
    ['UnSpecified', 'Unknown'],
    ['Unknown', 'Unknown'],
    ['Critical', 'Unknown'],
    ['', 'Unknown'],
    [null, 'Unknown'],
  ])('severity %j is %s', (severity, expected) => {
    expect(parsed(fullAlert({ Severity: severity })).header[6]).toBe(expected);
  });
});

describe('cefLine: rt (AlertTime) in milliseconds since the epoch', () => {
  const rt = (time: unknown) => ext(fullAlert({ AlertTime: time })).rt;

  it('cuts 5 or 7 fractional digits to the millisecond, never rounding up', () => {
    expect(rt('2020-09-30T14:09:20.35743Z')).toBe(String(ALERT_TIME_MS));
    expect(rt('2020-09-30T14:11:44.0779765Z')).toBe(String(Date.UTC(2020, 8, 30, 14, 11, 44, 77)));
    expect(rt('2020-09-30T14:11:44.9999999Z')).toBe(String(Date.UTC(2020, 8, 30, 14, 11, 44, 999)));
  });

  it('reads whole seconds and zone offsets', () => {
    expect(rt('2020-09-30T14:11:44Z')).toBe(String(Date.UTC(2020, 8, 30, 14, 11, 44)));
    expect(rt('2020-09-30T16:11:44.5+02:00')).toBe(String(Date.UTC(2020, 8, 30, 14, 11, 44, 500)));
  });

  it('is left out when AlertTime is absent or not a date-time', () => {
    for (const time of [null, '', '90s', 'yesterday', '2020-02-31T00:00:00Z', '2020-09-30', 1601474960357]) {
      expect(rt(time)).toBeUndefined();
    }
  });
});

describe('cefLine: escaping (rev. 25, "Character encoding")', () => {
  it('escapes \\ and | in the header, and nothing else there', () => {
    const line = cefLine(fullAlert({ AlertTitle: 'a|b\\c=d', IoaDefinitionId: 'id' }));
    expect(line.startsWith('CEF:0|Microsoft|Microsoft Defender ATP|2.0|id|a\\|b\\\\c=d|8|cat=Malware ')).toBe(true);
    expect(parsed(fullAlert({ IoaDefinitionId: 'x|y\\' })).header[4]).toBe('x|y\\');
  });

  it('turns each line break in the header into one space (the header may not hold one)', () => {
    expect(parsed(fullAlert({ AlertTitle: 'one\r\ntwo\nthree\rfour\n\n' })).header[5]).toBe('one two three four  ');
  });

  it('escapes \\ and = in extension values and writes CR and LF as \\r and \\n', () => {
    const line = cefLine(fullAlert({ ThreatName: 'a\\b=c\r\nd\re\nf' }));
    expect(line).toContain(' cs1=a\\\\b\\=c\\r\\nd\\re\\nf src=');
    expect(ext(fullAlert({ ThreatName: 'a\\b=c\r\nd\re\nf' })).cs1).toBe('a\\b=c\r\nd\re\nf');
  });

  it('leaves | and spaces in extension values as they are (rev. 25 needs no escape there)', () => {
    const line = cefLine(fullAlert({ ThreatName: ' a | b  c=d ' }));
    expect(line).toContain(' cs1= a | b  c\\=d  src=');
    expect(ext(fullAlert({ ThreatName: ' a | b  c=d ' })).cs1).toBe(' a | b  c=d ');
  });

  it('does not let a value that looks like a pair become one', () => {
    const fields = ext(fullAlert({ ThreatName: 'x suser=mallory cs1=y' }));
    expect(fields.cs1).toBe('x suser=mallory cs1=y');
    expect(fields.suser).toBe('liz.bean');
  });

  it('writes no line break anywhere and cuts nothing, however long the value', () => {
    const long = 'x\n'.repeat(50_000);
    const line = cefLine(fullAlert({ Url: long, AlertTitle: long }));
    expect(line).not.toMatch(/[\r\n]/);
    expect(ext(fullAlert({ Url: long })).request).toBe(long);
  });
});
