// Test helper: annotated hex. `#` starts a comment to the end of the line; whitespace is
// ignored. `hex` is for inline fixtures, `fixture` loads test/fixtures/<name>.hex.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function hex(text: string): Buffer {
  const clean = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex fixture: ${clean}`);
  return Buffer.from(clean, 'hex');
}

export function fixture(name: string): Buffer {
  return hex(readFileSync(fileURLToPath(new URL(`../../fixtures/${name}.hex`, import.meta.url)), 'utf8'));
}

/** A header for a hand-built body: marker, length (19 + body) and type. */
export function msg(type: number, body: Buffer | string): Buffer {
  const b = typeof body === 'string' ? hex(body) : body;
  const h = Buffer.alloc(19, 0xff);
  h.writeUInt16BE(19 + b.length, 16);
  h[18] = type;
  return Buffer.concat([h, b]);
}
