import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commentedOutShellVar, effectiveShellVar, parseShellVars } from './shell-vars.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/shell-vars/${n}`, import.meta.url)), 'utf8');

describe('parseShellVars on real files', () => {
  it('Debian netfilter-persistent defaults: active and commented-out switches', () => {
    const { value, diagnostics } = parseShellVars(sample('netfilter-persistent.debian-1.0.20'), 'f');
    expect(diagnostics).toEqual([]);
    expect(effectiveShellVar(value, 'IPTABLES_TEST_RULESET')).toMatchObject({ value: 'yes', line: 21 });
    expect(effectiveShellVar(value, 'FLUSH_ON_STOP')?.value).toBe('0');
    expect(effectiveShellVar(value, 'IPTABLES_SKIP_SAVE')).toBeUndefined();
    expect(commentedOutShellVar(value, 'IPTABLES_SKIP_SAVE')).toMatchObject({
      value: 'yes',
      commentedOut: true,
    });
    // prose comments are not assignments
    expect(value.filter((a) => a.commentedOut).map((a) => a.name)).toEqual([
      'IPTABLES_SKIP_SAVE',
      'IP6TABLES_SKIP_SAVE',
      'IPSET_SKIP_SAVE',
      'IPTABLES_RESTORE_NOFLUSH',
      'IP6TABLES_RESTORE_NOFLUSH',
    ]);
  });

  it('the lab notest variant: "#IPTABLES_TEST_RULESET=yes" is commented out, not set', () => {
    const { value } = parseShellVars(sample('netfilter-persistent.notest'), 'f');
    expect(effectiveShellVar(value, 'IPTABLES_TEST_RULESET')).toBeUndefined();
    expect(commentedOutShellVar(value, 'IPTABLES_TEST_RULESET')).toMatchObject({ line: 21, value: 'yes' });
  });

  it('Fedora/RHEL iptables-config: double-quoted values', () => {
    const { value, diagnostics } = parseShellVars(sample('iptables-config.el'), 'f');
    expect(diagnostics).toEqual([]);
    expect(effectiveShellVar(value, 'IPTABLES_MODULES')?.value).toBe('');
    expect(effectiveShellVar(value, 'IPTABLES_SAVE_ON_STOP')?.value).toBe('no');
    expect(commentedOutShellVar(value, 'IPTABLES_SYSCTL_LOAD_LIST')?.value).toBe('.nf_conntrack .bridge-nf');
  });
});

describe('parseShellVars quoting', () => {
  it('handles quotes, escapes, export, comments, continuation and reports what it cannot evaluate', () => {
    const text = [
      `A='x y'`,
      `B="a \\"q\\" \\$x"`,
      'export C=plain # trailing comment',
      'D=a\\ b',
      `E="multi`,
      `line"`,
      'F=$HOME/x',
      'G=1 echo hi',
      'if true; then',
      `H='open`,
    ].join('\n');
    const { value, diagnostics } = parseShellVars(text, 'f');
    const get = (n: string): string | undefined => effectiveShellVar(value, n)?.value;
    expect(get('A')).toBe('x y');
    expect(get('B')).toBe('a "q" $x');
    expect(get('C')).toBe('plain');
    expect(effectiveShellVar(value, 'C')?.exported).toBe(true);
    expect(get('D')).toBe('a b');
    expect(get('E')).toBe('multi\nline');
    expect(effectiveShellVar(value, 'F')).toMatchObject({ value: '$HOME/x', line: 7 });
    expect(get('H')).toBe('open');
    expect(diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['expansion-not-evaluated', 7],
      ['trailing-words', 8],
      ['not-an-assignment', 9],
      ['unterminated-quote', 10],
    ]);
  });

  it('last active assignment wins', () => {
    const { value } = parseShellVars('X=1\nX=2\n#X=3\n', 'f');
    expect(effectiveShellVar(value, 'X')).toMatchObject({ value: '2', line: 2 });
  });
});

describe('parseShellVars properties', () => {
  it('never throws and keeps line numbers in range', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('A', '=', '"', "'", '\\', '\n', ' ', '#', '$', 'x') }),
        (s) => {
          const r = parseShellVars(s, 'f');
          const n = Math.max(1, s.split('\n').length);
          for (const a of r.value) {
            expect(a.line).toBeGreaterThanOrEqual(1);
            expect(a.line).toBeLessThanOrEqual(n);
          }
          for (const d of r.diagnostics) {
            expect(d.at.line ?? 1).toBeLessThanOrEqual(n);
          }
        },
      ),
    );
    fc.assert(fc.property(fc.string(), (s) => void parseShellVars(s, 'f')));
  });
});
