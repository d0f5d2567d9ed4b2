import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DeclaredChains, type PlainLineLimits } from './declared-chains.ts';
import { parseIptablesSave, type ChainDecl } from './iptables-save.ts';
import { splitStrtokWords } from './iptables-tokenize.ts';

const decl = (name: string, line: number, declaredBy: 'header' | 'command' = 'command'): ChainDecl => ({
  name,
  policy: '-',
  line,
  builtin: false,
  declaredBy,
});

const BUILTINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
const LIMITS: PlainLineLimits = { maxNameLength: 28, maxLineLength: 3412, specialNames: BUILTINS };

/** addPlainLines on `text` from its start: how many lines it took, and where it stopped. */
function addPlain(chains: DeclaredChains, text: string, firstLine = 1): { taken: number; after: number } {
  const before = chains.size;
  const after = chains.addPlainLines(text, 0, text.length, firstLine, LIMITS);
  return { taken: chains.size - before, after };
}

describe('DeclaredChains', () => {
  it('finds a name whether it was declared as a string or as characters inside a text', () => {
    const chains = new DeclaredChains();
    const text = ':KUBE-SEP-IBFZQAF2PZKOBBRT - [0:0]\n:KUBE-SVC-A - [12:345]\n-A X\n';
    expect(addPlain(chains, text, 2)).toEqual({ taken: 2, after: text.indexOf('\n-A') + 1 });
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
    expect(addPlain(chains, ':X - [0:0]\n', 2)).toEqual({ taken: 0, after: 0 });
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
          if (o.asLine && !o.name.startsWith('-')) {
            const text = `${o.prefix}\n:${o.name} - [0:0]\n`;
            const start = o.prefix.length + 1;
            const before = chains.size;
            chains.addPlainLines(text, start, text.length, line, LIMITS);
            const added = chains.size > before;
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
    expect(addPlain(chains, text)).toEqual({ taken: 50_000, after: text.length });
    expect(chains.lineOf('C0')).toBe(1);
    expect(chains.lineOf('C49999')).toBe(50_000);
    expect(chains.has('C50000')).toBe(false);
  });
});

describe('DeclaredChains.addPlainLines', () => {
  it('takes the lines kube-proxy and iptables-save write for user chains, up to the first other line', () => {
    const text = ':KUBE-SEP-IBFZQAF2PZKOBBRT - [0:0]\n:f2b-sshd - [1234:567890]\n:INPUT ACCEPT [0:0]\n';
    const chains = new DeclaredChains();
    expect(addPlain(chains, text)).toEqual({ taken: 2, after: text.indexOf(':INPUT') });
    expect(chains.list().map((c) => [c.name, c.line, c.counters])).toEqual([
      ['KUBE-SEP-IBFZQAF2PZKOBBRT', 1, '[0:0]'],
      ['f2b-sshd', 2, '[1234:567890]'],
    ]);
  });

  it.each([
    ['a built-in chain (its policy is checked)', ':INPUT - [0:0]'],
    ['a policy', ':X ACCEPT [0:0]'],
    ['two spaces', ':X  - [0:0]'],
    ['a tab', ':X\t- [0:0]'],
    ['a word after the counters (even a space)', ':X - [0:0] '],
    ['a carriage return', ':X - [0:0]\r'],
    ['no counters', ':X -'],
    ['counters without bytes', ':X - [0:]'],
    ['counters that are not numbers', ':X - [a:0]'],
    ['a name iptables refuses', ':-X - [0:0]'],
    ['a name longer than 28 bytes', `:${'A'.repeat(29)} - [0:0]`],
    ['a line longer than the limit', `:X - [${'1'.repeat(3410)}:0]`],
    ['a name outside ASCII', ':caf\u00e9 - [0:0]'],
    ['no name', ': - [0:0]'],
    ['no colon', 'X - [0:0]'],
  ])('leaves a line with %s to chainLine', (_, line) => {
    expect(addPlain(new DeclaredChains(), `${line}\n`)).toEqual({ taken: 0, after: 0 });
  });

  it('leaves a last line without a newline to chainLine', () => {
    expect(addPlain(new DeclaredChains(), ':X - [0:0]')).toEqual({ taken: 0, after: 0 });
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
        const chains = new DeclaredChains();
        if (addPlain(chains, `${line}\n${after}`).taken === 0 || line.includes('\n')) {
          return;
        }
        const [name, policy, counters, ...extra] = splitStrtokWords(line, 1);
        expect({ policy, extra }).toEqual({ policy: '-', extra: [] });
        expect(line).toBe(`:${name} - ${counters}`);
        expect(counters).toMatch(/^\[\d+:\d+\]$/);
        expect(name).toMatch(/^[\x21-\x7e]{1,28}$/);
        expect(name?.startsWith('-')).toBe(false);
        expect(BUILTINS).not.toContain(name);
        expect(chains.list()).toEqual([{ ...decl(name ?? '', 1, 'header'), counters }]);
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
      [9, 'chain-exists'],
    ]);
    expect(table?.rules.map((r) => [r.chain, r.target?.name, r.target?.kind])).toEqual([
      ['A', 'B', 'chain'],
      ['F', 'E', 'chain'],
    ]);
  });
});
