// Round-trip properties (fast-check): decode(encode(x)) deep-equals x for OPENs with every
// capability kind and for UPDATEs with arbitrary attributes and NLRI, IPv4 and IPv6, with
// and without ADD-PATH and 4-octet AS (2-octet sessions exercise the RFC 6793 split/merge).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AS_TRANS, type PathAttributes, decodeMessage, encodeOpen, encodeUpdate, type OpenMessage, type UpdateMessage, DEFAULT_CODEC_CONTEXT,
} from '../../../src/bgp/codec/index.js';
import { open, update } from './arbitraries.js';

/**
 * RFC 6793 §4.2.3: on a 2-octet session, an AGGREGATOR with a real 2-octet AS (not
 * AS_TRANS) makes the receiver ignore AS4_PATH, so the path comes back with AS_TRANS.
 */
function normalForAs2(a: PathAttributes, as4: boolean): PathAttributes {
  if (as4 || !a.aggregator || a.aggregator.asn > 0xffff || a.aggregator.asn === AS_TRANS || !a.asPath) return a;
  return { ...a, asPath: a.asPath.map((s) => ({ type: s.type, asns: s.asns.map((x) => (x > 0xffff ? AS_TRANS : x)) })) };
}

describe('round trip', () => {
  test('OPEN', () => {
    fc.assert(
      fc.property(open, (o) => {
        const { type: _t, ...rest } = o;
        const got = decodeMessage(encodeOpen(rest), DEFAULT_CODEC_CONTEXT) as OpenMessage;
        // extendedParams comes back true only when the extended form was on the wire; the
        // encoder also uses it when the parameters do not fit in 255 octets.
        const { extendedParams: wantExt, ...want } = o;
        const { extendedParams: gotExt, ...have } = got;
        assert.deepEqual(have, want);
        if (wantExt) assert.equal(gotExt, true);
      }),
      { numRuns: 500 },
    );
  });

  test('UPDATE', () => {
    fc.assert(
      fc.property(update, (c) => {
        const bytes = encodeUpdate(c, c.ctx);
        const u = decodeMessage(bytes, c.ctx) as UpdateMessage;
        const want: Record<string, unknown> = {
          type: 2, withdrawn: c.withdrawn, attributes: normalForAs2(c.attributes ?? {}, c.ctx.as4), nlri: c.nlri, action: 0, errors: [],
        };
        if (c.mpReach) want.mpReach = c.mpReach;
        if (c.mpUnreach) want.mpUnreach = c.mpUnreach;
        assert.deepEqual(u, want);
        // And encoding the decoded form gives the same bytes (unless AS4_PATH was dropped).
        if (want.attributes === (c.attributes ?? {}) || !c.attributes) assert.deepEqual(encodeUpdate(u, c.ctx), bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
