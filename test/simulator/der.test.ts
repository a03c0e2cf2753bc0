import { describe, expect, it } from 'vitest';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  integer,
  octetString,
  oid,
  printableString,
  sequence,
  set,
  time,
  tlv,
  utf8String,
} from '../../simulator/der.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER encoder', () => {
  it('encodes INTEGERs minimally, with a leading zero when the top bit is set', () => {
    expect(hex(integer(0))).toBe('020100');
    expect(hex(integer(127))).toBe('02017f');
    expect(hex(integer(128))).toBe('02020080');
    expect(hex(integer(256))).toBe('02020100');
    expect(hex(integer(2n ** 64n))).toBe('0209010000000000000000');
    expect(hex(integer(Buffer.from([0x00, 0x00, 0x05])))).toBe('020105');
    expect(hex(integer(Buffer.from([0xff])))).toBe('020200ff');
    expect(() => integer(-1)).toThrow(RangeError);
  });

  it('encodes OIDs with base-128 arcs', () => {
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(oid('2.5.29.17'))).toBe('0603551d11');
    expect(hex(oid('1.3.6.1.5.5.7.3.1'))).toBe('06082b06010505070301');
    expect(() => oid('1')).toThrow(RangeError);
    expect(() => oid('1.x')).toThrow(RangeError);
  });

  it('uses the long length form from 128 bytes on', () => {
    expect(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4)).toBe('047f');
    expect(hex(tlv(0x04, Buffer.alloc(128))).slice(0, 6)).toBe('048180');
    expect(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
  });

  it('encodes strings, booleans, bit and octet strings', () => {
    expect(hex(utf8String('é'))).toBe('0c02c3a9');
    expect(hex(printableString('AB'))).toBe('13024142');
    expect(() => printableString('a@b')).toThrow(RangeError);
    expect(hex(boolean(true))).toBe('0101ff');
    expect(hex(boolean(false))).toBe('010100');
    expect(hex(bitString(Buffer.from([0x84]), 2))).toBe('03020284');
    expect(hex(octetString(Buffer.from([1, 2])))).toBe('04020102');
  });

  it('builds SEQUENCEs, sorted SETs and context tags', () => {
    expect(hex(sequence(integer(1), integer(2)))).toBe('3006020101020102');
    expect(hex(set(integer(2), integer(1)))).toBe('3106020101020102');
    expect(hex(explicit(0, integer(2)))).toBe('a003020102');
    expect(hex(implicitPrimitive(2, Buffer.from('a')))).toBe('820161');
  });

  it('uses UTCTime before 2050 and GeneralizedTime after', () => {
    expect(time(new Date('2026-01-31T12:34:56.789Z')).toString('latin1').slice(2)).toBe('260131123456Z');
    expect(time(new Date('2026-01-31T12:34:56Z'))[0]).toBe(0x17);
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1').slice(2)).toBe('20500101000000Z');
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
  });
});
