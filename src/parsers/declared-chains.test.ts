import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DeclaredChains } from './declared-chains.ts';
import { parseIptablesSave, plainUserChainNameEnd, type ChainDecl } from './iptables-save.ts';
import { splitStrtokWords } from './iptables-tokenize.ts';

const decl = (name: string, line: number, declaredBy: 'header' | 'command' = 'command'): ChainDecl => ({
  name,
  policy: '-',
  line,
  builtin: false,
  declaredBy,
});

describe('DeclaredChains', () => {
  it('finds a name whether it was declared as a string or as characters inside a text', () => {
    const chains = new DeclaredChains();
    const text = 'junk\n:KUBE-SEP-IBFZQAF2PZKOBBRT - [0:0]\n:KUBE-SVC-A - [12:345]\n';
    const first = text.indexOf(':') + 1;
    expect(chains.addHeaderLine(text, first, first + 25, text.indexOf('\n', first), 2)).toBe(true);
    const second = text.lastIndexOf(':KUBE') + 1;
    expect(chains.addHeaderLine(text, second, second + 10, text.length - 1, 3)).toBe(true);
    chains.add(decl('LATER', 7));
    expect(chains.lineOf('KUBE-SEP-IBFZQAF2PZKOBBRT')).toBe(2);
    expect(chains.has('KUBE-SVC-A')).toBe(true);
    expect(chains.has('KUBE-SVC-')).toBe(false);
    expect(chains.has('KUBE-SVC-AB')).toBe(false);
    expect(chains.lineOf('LATER')).toBe(7);
    expect(chains.size).toBe(3);
    expect(chains.list()).toEqual([
      { ...decl('KUBE-SEP-IBFZQAF2PZKOBBRT', 2, 'header'), counters: '[0:0]' },
      { ...decl('KUBE-SVC-A', 3, 'header'), counters: '[12:345]' },
      decl('LATER', 7),
    ]);
  });

  it('refuses a header line whose name is declared, and keeps the first line of a name declared twice', () => {
    const chains = new DeclaredChains();
    chains.add(decl('X', 1));
    const text = ':X - [0:0]';
    expect(chains.addHeaderLine(text, 1, 2, text.length, 2)).toBe(false);
    chains.add(decl('X', 2));
    expect(chains.lineOf('X')).toBe(1);
    expect(chains.size).toBe(1);
    expect(chains.list().map((c) => c.line)).toEqual([1, 2]);
  });

  it('answers like a Map of names and a list of declarations, through growth and hash collisions', () => {
    // Names from a small alphabet collide in length and share prefixes; thousands force the table to grow.
    const name = fc.stringMatching(/^[AB-]{1,6}$/);
    const op = fc.record({ name, asLine: fc.boolean(), prefix: fc.string({ maxLength: 5 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.array(name, { maxLength: 30 }), (ops, probes) => {
        const chains = new DeclaredChains();
        const firstLine = new Map<string, number>();
        const all: ChainDecl[] = [];
        ops.forEach((o, i) => {
          const line = i + 1;
          if (o.asLine) {
            const text = `${o.prefix}:${o.name} - [0:0]\n`;
            const start = o.prefix.length + 1;
            const added = chains.addHeaderLine(text, start, start + o.name.length, text.length - 1, line);
            expect(added).toBe(!firstLine.has(o.name));
            if (!added) {
              return;
            }
            all.push({ ...decl(o.name, line, 'header'), counters: '[0:0]' });
          } else {
            chains.add(decl(o.name, line));
            all.push(decl(o.name, line));
          }
          if (!firstLine.has(o.name)) {
            firstLine.set(o.name, line);
          }
        });
        for (const probe of [...probes, ...firstLine.keys()]) {
          expect(chains.lineOf(probe)).toBe(firstLine.get(probe));
          expect(chains.has(probe)).toBe(firstLine.has(probe));
        }
        expect(chains.size).toBe(firstLine.size);
        expect(chains.list()).toEqual(all);
      }),
      { numRuns: 300 },
    );
  });

  it('holds 50,000 chains', () => {
    const chains = new DeclaredChains();
    const text = Array.from({ length: 50_000 }, (_, i) => `:C${i} - [0:0]\n`).join('');
    let at = 0;
    for (let i = 0; i < 50_000; i++) {
      const end = text.indexOf('\n', at);
      expect(chains.addHeaderLine(text, at + 1, text.indexOf(' ', at), end, i + 1)).toBe(true);
      at = end + 1;
    }
    expect(chains.size).toBe(50_000);
    expect(chains.lineOf('C0')).toBe(1);
    expect(chains.lineOf('C49999')).toBe(50_000);
    expect(chains.has('C50000')).toBe(false);
  });
});

/** What chainLine makes of a `:` line: its words, as strtok() splits them. */
function strtokDecl(line: string): {
  name: string | undefined;
  policy: string | undefined;
  counters: string | undefined;
  extra: number;
} {
  const [name, policy, counters, ...extra] = splitStrtokWords(line, 1);
  return { name, policy, counters, extra: extra.length };
}

const BUILTINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];

describe('plainUserChainNameEnd', () => {
  it('takes the lines kube-proxy and iptables-save write for user chains', () => {
    const line = ':KUBE-SEP-IBFZQAF2PZKOBBRT - [0:0]';
    expect(plainUserChainNameEnd(line, 0, line.length, BUILTINS)).toBe(26);
    const counted = 'x\n:f2b-sshd - [1234:567890]\nnext';
    expect(plainUserChainNameEnd(counted, 2, counted.indexOf('\nnext'), BUILTINS)).toBe(11);
  });

  it.each([
    [':INPUT - [0:0]', 'a built-in chain (its policy is checked)'],
    [':X ACCEPT [0:0]', 'a policy'],
    [':X  - [0:0]', 'two spaces'],
    [':X\t- [0:0]', 'a tab'],
    [':X - [0:0] ', 'a word after the counters (even a space)'],
    [':X -', 'no counters'],
    [':X - [0:]', 'counters without bytes'],
    [':X - [a:0]', 'counters that are not numbers'],
    [':-X - [0:0]', 'a name iptables refuses'],
    [`:${'A'.repeat(29)} - [0:0]`, 'a name longer than 28 bytes'],
    [':caf\u00e9 - [0:0]', 'a name outside ASCII'],
    [': - [0:0]', 'no name'],
    ['X - [0:0]', 'no colon'],
  ])('leaves %j to chainLine: %s', (line) => {
    expect(plainUserChainNameEnd(line, 0, line.length, BUILTINS)).toBe(-1);
  });

  it('takes a line only when strtok() gives chainLine a clean user chain of the same name and counters', () => {
    const piece = fc.constantFrom(
      ':',
      ' ',
      '  ',
      '\t',
      '-',
      'X',
      'KUBE-SVC-',
      'INPUT',
      '[0:0]',
      '[',
      ']',
      ':',
      '12',
      'ACCEPT',
      '\u00e9',
      '\r',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), fc.string({ maxLength: 3 }), (parts, after) => {
        const line = `:${parts.join('')}`;
        const text = `${line}\n${after}`;
        const nameEnd = plainUserChainNameEnd(text, 0, line.length, BUILTINS);
        if (nameEnd === -1) {
          return;
        }
        const words = strtokDecl(line);
        expect(words).toEqual({
          name: line.slice(1, nameEnd),
          policy: '-',
          counters: line.slice(nameEnd + 3),
          extra: 0,
        });
        expect(line).toBe(`:${words.name} - ${words.counters}`);
        expect(words.counters).toMatch(/^\[\d+:\d+\]$/);
        expect(words.name).toMatch(/^[\x21-\x7e]{1,28}$/);
        expect(words.name?.startsWith('-')).toBe(false);
        expect(BUILTINS).not.toContain(words.name);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('chain declarations through the parser', () => {
  it('reports plain and other header lines, -N and duplicates in file order, with their diagnostics', () => {
    const text = [
      '*filter',
      ':INPUT DROP [1:2]',
      ':A - [0:0]',
      ':B - [3:4]',
      ':A - [0:0]',
      ':C\t- [0:0]',
      ':D ACCEPT [0:0]',
      '-N E',
      '-N B',
      ':F - [0:0]',
      '-A A -j B',
      '-A F -j E',
      'COMMIT',
      '',
    ].join('\n');
    const parsed = parseIptablesSave(text, 'rules.v4');
    const [table] = parsed.value.tables;
    expect(table?.chains.map((c) => [c.name, c.line, c.declaredBy, c.policy, c.counters])).toEqual([
      ['INPUT', 2, 'header', 'DROP', '[1:2]'],
      ['A', 3, 'header', '-', '[0:0]'],
      ['B', 4, 'header', '-', '[3:4]'],
      ['A', 5, 'header', '-', '[0:0]'],
      ['C', 6, 'header', '-', '[0:0]'],
      ['D', 7, 'header', 'ACCEPT', '[0:0]'],
      ['E', 8, 'command', '-', undefined],
      ['B', 9, 'command', '-', undefined],
      ['F', 10, 'header', '-', '[0:0]'],
    ]);
    expect(parsed.diagnostics.map((d) => [d.at.line, d.code])).toEqual([
      [5, 'duplicate-chain'],
      [7, 'policy-on-user-chain'],
      [9, 'duplicate-chain'],
    ]);
    expect(table?.rules.map((r) => [r.chain, r.target?.name, r.target?.kind])).toEqual([
      ['A', 'B', 'chain'],
      ['F', 'E', 'chain'],
    ]);
  });
});
