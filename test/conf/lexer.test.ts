// Lexical rules of the 1.6 dialect as the parser sees them: include (glob, nesting,
// line-start rule), comments, quoted symbols, glued tokens, number forms, dialects.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Lexer, Tok } from '../../conf/lexer.js';
import type { Token } from '../../conf/lexer.js';
import { parseMem } from './helpers.js';

const host = { readFile: () => '', readDir: () => [], stat: () => undefined };
function tokens(text: string, dialect: 'ipv4' | 'ipv6' | 'auto' = 'auto'): string[] {
  const lx = new Lexer(text, 't', host, dialect);
  const out: string[] = [];
  for (let t: Token = lx.next(); t.kind !== Tok.EOF; t = lx.next()) out.push(`${t.kind}:${t.text}@${t.line}:${t.col}`);
  return out;
}

describe('lexer', () => {
  test('glued tokens, two-character operators, comments', () => {
    assert.deepEqual(tokens('}function a/* c */(){x!=1&&y!~"*"||z<=[=1 *=]} # end\n'), [
      '6:}@1:1', '1:function@1:2', '1:a@1:11', '6:(@1:19', '6:)@1:20', '6:{@1:21', '1:x@1:22', '6:!=@1:23', '2:1@1:25',
      '6:&&@1:26', '1:y@1:28', '6:!~@1:29', '5:*@1:31', '6:||@1:34', '1:z@1:36', '6:<=@1:37', '6:[=@1:39', '2:1@1:41',
      '6:*@1:43', '6:=]@1:44', '6:}@1:46',
    ]);
  });

  test('addresses win over symbols by longest match; hex numbers; quoted symbols', () => {
    assert.deepEqual(tokens("fd00::1/128 fd00 0x1F 10.0.0.1 'bgp_a-b.c'"), ['4:fd00::1@1:1', '6:/@1:8', '2:128@1:9', '1:fd00@1:13', '2:0x1F@1:18', '3:10.0.0.1@1:23', "1:bgp_a-b.c@1:32"]);
  });

  test('include expands globs in sorted order, relative to the including file, nested', () => {
    const c = parseMem({
      'etc/bird.conf': 'include "conf.d/*.conf";\nrouter id 1.1.1.1;\n',
      'etc/conf.d/20-b.conf': 'protocol device b { }\n',
      'etc/conf.d/10-a.conf': 'include "../sub/x.conf";\nprotocol device a { }\n',
      'etc/sub/x.conf': 'protocol device x { }\n',
      'etc/conf.d/README': 'not included',
    }, 'etc/bird.conf');
    assert.deepEqual(c.protocols.map((p) => p.name), ['x', 'a', 'b']);
    assert.equal(c.routerId, 0x01010101);
  });

  test('a glob that matches nothing is not an error', () => {
    const c = parseMem({ 'bird.conf': 'include "none-*.conf";\nprotocol device { }\n' }, 'bird.conf');
    assert.equal(c.protocols[0]!.name, 'device1');
  });

  test('auto-naming skips names already taken, per type', () => {
    const c = parseMem({ 'bird.conf': 'protocol device device1 { }\nprotocol device { }\nprotocol static { }\nprotocol device { }\n' }, 'bird.conf');
    assert.deepEqual(c.protocols.map((p) => p.name), ['device1', 'device2', 'static1', 'device3']);
  });

  test('channel blocks (BIRD 2 style) are accepted', () => {
    const c = parseMem({ 'bird.conf': 'filter f { accept; }\nprotocol bgp p { local as 1; neighbor 192.0.2.1 as 2; ipv4 { import filter f; export where net ~ [ 10.0.0.0/8+ ]; }; }\n' }, 'bird.conf');
    const p = c.protocols[0]!;
    assert.equal(p.import.name, 'f');
    assert.equal(p.export.kind, 'where');
    assert.equal(p.export.text, 'where net ~ [ 10.0.0.0/8+ ]');
  });
});
