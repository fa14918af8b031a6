// Annotated hex fixtures for the netlink tests: `hex()` drops `#` comments and whitespace
// and returns the bytes; `ascii()` gives the hex of a string (for ext-ack messages).
export function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex fixture: ${digits}`);
  return Buffer.from(digits, 'hex');
}

export const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** Replacer for JSON/debug output of decoded objects holding Uint8Arrays. */
export const bytesAsHex = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);
