/**
 * What the byte-level JSON scanners (array-splitter, odata-page, alert/byte-check) share: the
 * structural bytes, and how to quote the start of an unexpected answer in a one-line message.
 */

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;

/** JSON's four whitespace bytes (RFC 8259 §2). */
export function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** How many printable characters of an unexpected answer an error message quotes. */
export const QUOTED_CHARS = 40;

/** The first printable characters of some bytes, quoted for a one-line error message. */
export function quoteStart(bytes: Buffer): string {
  const text = bytes
    .subarray(0, 4 * QUOTED_CHARS)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    // Control characters would garble a one-line message; a cut multi-byte character shows as U+FFFD.
    // eslint-disable-next-line no-control-regex -- matching the control characters is the point
    .replace(/[\u0000-\u001f\u007f\s]+/g, ' ')
    .replace(/\uFFFD+$/, '')
    .trim();
  const chars = Array.from(text);
  return JSON.stringify(chars.length > QUOTED_CHARS ? `${chars.slice(0, QUOTED_CHARS).join('')}…` : text);
}
