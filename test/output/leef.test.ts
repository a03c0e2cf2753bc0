import { describe, expect, it } from 'vitest';
import { leefLine } from '../../src/output/leef.js';
import { fullAlert } from './full-alert.js';
import { attributesOf, parseLeef } from './leef-reference.js';

const parsed = (alert: Record<string, unknown>) => parseLeef(leefLine(alert));
const attrs = (alert: Record<string, unknown>) => attributesOf(parsed(alert));

describe('leefLine: LEEF 2.0 for QRadar', () => {
  it('writes the LEEF 2.0 header with the rule id as EventID and the tab named as x09', () => {
    expect(
      leefLine(fullAlert()).startsWith('LEEF:2.0|Microsoft|Microsoft Defender ATP|2.0|b20af1d2-5990-4672-87f1-acc2a8ff7725|x09|'),
    ).toBe(true);
    expect(parsed(fullAlert()).header).toEqual([
      'LEEF:2.0',
      'Microsoft',
      'Microsoft Defender ATP',
      '2.0',
      'b20af1d2-5990-4672-87f1-acc2a8ff7725',
      'x09',
    ]);
  });

  it("carries the fields of Microsoft's mapping, under IBM's predefined keys where one fits and the SIEM name otherwise", () => {
    expect(parsed(fullAlert()).attributes).toEqual([
      ['AlertTitle', 'Suspicious File Activity'],
      ['sev', '8'],
      ['cat', 'Malware'],
      ['Source', 'EDR'],
      ['identHostName', 'mymachine1'],
      ['FileName', 'cmdParent.exe'],
      ['FilePath', 'C:\\WINDOWS\\SysWOW64\\boo3\\qwerty'],
      ['UserDomain', 'CONTOSO'],
      ['usrName', 'liz.bean'],
      ['Sha1', 'aabbccddee1122334455aabbccddee1122334455'],
      ['Sha256', 'ebf54f745dc81e1958f75e4ca91dd0ab989fc9787bb6b0bf993e2f5'],
      ['Md5', '854b85cbff2752fcb88606bca76f83c6'],
      ['ThreatName', 'HackTool:Win32/Mikatz!dha'],
      ['src', '218.90.204.141'],
      ['url', 'down.esales360.cn'],
      ['RemediationIsSuccess', 'true'],
      ['WasExecutingWhileDetected', 'false'],
      ['AlertId', 'da637370718981685665_16349121'],
      ['LinkToWDATP', 'https://securitycenter.windows.com/alert/da637370718981685665_16349121'],
      ['devTime', '2020-09-30T14:09:20.357+0000'],
      ['devTimeFormat', "yyyy-MM-dd'T'HH:mm:ss.SSSZ"],
      ['MachineDomain', 'domain.com'],
      ['Actor', 'BORON'],
      ['LogOnUsers', 'contoso\\liz-bean; contoso\\jay-hardee'],
    ]);
  });

  it('separates attributes with a real tab, writes no line break and ends with no delimiter', () => {
    const line = leefLine(fullAlert());
    expect(line).toContain('\tsev=8\tcat=Malware\t');
    expect(line).not.toMatch(/[\r\n]|\t$/);
  });
});

describe('leefLine: absent values, severity and time', () => {
  it.each([
    ['null', null],
    ['""', ''],
    ['a missing key', undefined],
  ])('leaves out a key whose value is %s', (_name, empty) => {
    const keys = Object.keys(attrs(fullAlert({ ThreatName: empty, UserName: empty, RemediationIsSuccess: empty })));
    for (const key of ['ThreatName', 'usrName', 'RemediationIsSuccess']) expect(keys).not.toContain(key);
  });

  it('writes only the header for an alert of nothing but nulls', () => {
    const empty = Object.fromEntries(Object.keys(fullAlert()).map((k) => [k, null]));
    expect(leefLine(empty)).toBe('LEEF:2.0|Microsoft|Microsoft Defender ATP|2.0|Unknown|x09|');
  });

  it.each([
    ['Informational', '1'],
    ['Low', '3'],
    ['Medium', '6'],
    ['High', '8'],
  ])('sev of %s is %s (the same scale as CEF)', (severity, expected) => {
    expect(attrs(fullAlert({ Severity: severity })).sev).toBe(expected);
  });

  it('leaves sev out when the severity is unknown: LEEF has no value for that', () => {
    for (const severity of ['UnSpecified', 'Unknown', null]) expect(attrs(fullAlert({ Severity: severity }))).not.toHaveProperty('sev');
  });

  it('writes devTime with exactly three fractional digits, the count its SSS pattern reads as milliseconds', () => {
    expect(attrs(fullAlert({ AlertTime: '2020-09-30T14:11:44.0779765Z' })).devTime).toBe('2020-09-30T14:11:44.077+0000');
    expect(attrs(fullAlert({ AlertTime: '2020-09-30T14:11:44Z' })).devTime).toBe('2020-09-30T14:11:44.000+0000');
  });

  it('leaves devTime and devTimeFormat out together when AlertTime cannot be read', () => {
    const keys = Object.keys(attrs(fullAlert({ AlertTime: 'last Tuesday' })));
    expect(keys).not.toContain('devTime');
    expect(keys).not.toContain('devTimeFormat');
  });

  it('uses the EventID rule of CEF: IoaDefinitionId, else the category', () => {
    expect(parsed(fullAlert({ IoaDefinitionId: null })).header[4]).toBe('Malware');
  });
});

describe('leefLine: escaping', () => {
  it('turns the delimiter and each line break in a value into one space', () => {
    expect(attrs(fullAlert({ ThreatName: 'a\tb\r\nc\rd\ne' })).ThreatName).toBe('a b c d e');
  });

  it('keeps backslashes, = and | in values as they are: LEEF defines no escape and QRadar undoes none', () => {
    const line = leefLine(fullAlert({ ThreatName: 'C:\\x=y|z' }));
    expect(line).toContain('\tThreatName=C:\\x=y|z\t');
    expect(attrs(fullAlert({ ThreatName: 'C:\\x=y|z' })).ThreatName).toBe('C:\\x=y|z');
  });

  it('escapes | and \\ in the header and turns line breaks there into spaces', () => {
    const line = leefLine(fullAlert({ IoaDefinitionId: 'a|b\\c\r\nd' }));
    expect(line.startsWith('LEEF:2.0|Microsoft|Microsoft Defender ATP|2.0|a\\|b\\\\c d|x09|')).toBe(true);
    expect(parsed(fullAlert({ IoaDefinitionId: 'a|b\\c\r\nd' })).header[4]).toBe('a|b\\c d');
  });
});
