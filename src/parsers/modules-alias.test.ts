import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseModulesDep } from './modules-dep.ts';
import {
  aliasIndexOfText,
  buildAliasIndex,
  fnmatch,
  normalizeAlias,
  parseModulesAlias,
  underscores,
} from './modules-alias.ts';
import { KERNELS, checkTotal, readKernel, readSample } from './__samples__/kmod/test-helpers.ts';

describe('parseModulesAlias on real Debian kernels', () => {
  it.each(KERNELS)('%s: parses without diagnostics', (release) => {
    const r = parseModulesAlias(readKernel(release, 'modules.alias'), 'modules.alias');
    expect(r.diagnostics).toEqual([]);
    expect(r.value.length).toBeGreaterThan(2000);
  });

  it('6.1.0-56-amd64: 26222 aliases, netfilter ones literal', () => {
    const r = parseModulesAlias(readKernel('6.1.0-56-amd64', 'modules.alias'), 'modules.alias');
    expect(r.value).toHaveLength(26222);
    expect(r.value).toContainEqual(expect.objectContaining({ pattern: 'ipt_recent', module: 'xt_recent' }));
    expect(r.value).toContainEqual(
      expect.objectContaining({ pattern: 'nft-chain-2-nat', module: 'nft_chain_nat' }),
    );
    expect(r.value[0]?.line).toBe(2);
  });

  it('agrees with kmod 30 `modprobe -R` on 562 real names (netfilter aliases and device globs)', () => {
    const aliases = parseModulesAlias(readKernel('6.1.0-56-amd64', 'modules.alias'), 'a').value;
    const realNames = new Set(
      parseModulesDep(readKernel('6.1.0-56-amd64', 'modules.dep'), 'd').value.map((d) => d.name),
    );
    const index = buildAliasIndex(aliases);
    const lazy = aliasIndexOfText(readKernel('6.1.0-56-amd64', 'modules.alias'));
    expect(lazy).toBeDefined();
    const rows = readSample('modprobe-resolve-6.1.0-56-amd64.tsv')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split('\t'));
    expect(rows.length).toBe(562);
    let compared = 0;
    for (const [name = '', answer = ''] of rows) {
      const normalized = normalizeAlias(name) ?? name;
      // modprobe looks real module names up in modules.dep before modules.alias.
      if (realNames.has(normalized)) {
        continue;
      }
      const kmod = [...new Set(answer.split(' ').filter((m) => m !== ''))];
      expect(index.lookup(name), name).toEqual(kmod);
      expect(lazy?.lookup(name), name).toEqual(kmod);
      compared++;
    }
    expect(compared).toBeGreaterThan(400);
  });

  // How long indexing takes is measured by `npm run bench`, not asserted here: a shared machine makes a
  // timed test fail for reasons of its own.
  it('the 26k-line generic file: device globs answer the same from both indexes', () => {
    const text = readKernel('6.1.0-56-amd64', 'modules.alias');
    const full = buildAliasIndex(parseModulesAlias(text, 'modules.alias').value);
    const lazy = aliasIndexOfText(text);
    for (let i = 0; i < 200; i++) {
      const name = `pci:v00008086d0000${(0x1000 + i * 7).toString(16)}sv00000000sd00000000bc02sc00i00`;
      expect(lazy?.lookup(name), name).toEqual(full.lookup(name));
    }
    expect(lazy?.lookup('ipt_recent')).toEqual(['xt_recent']);
  });
});

describe('AliasIndex semantics', () => {
  const idx = buildAliasIndex(
    parseModulesAlias(
      [
        'alias nft-chain-2-nat nft_chain_nat',
        'alias pci:v00008086d*sv*sd*bc02sc00i* e1000e',
        'alias usb:v1D6Bp0002d*dc*dsc*dp*ic09isc00ip[0-2]in* usbhub',
        'alias x[abc]y first',
        'alias x?y second',
        'alias x[!a]y third',
        'alias dup first',
        'alias dup first',
        'alias br[ok badbracket',
      ].join('\n'),
      'f',
    ).value,
  );

  it('dashes and underscores are one (alias_normalize), on both sides', () => {
    expect(idx.lookup('nft-chain-2-nat')).toEqual(['nft_chain_nat']);
    expect(idx.lookup('nft_chain_2_nat')).toEqual(['nft_chain_nat']);
  });

  it('globs: *, ?, ranges and negated sets; file order, no duplicates', () => {
    expect(idx.lookup('pci:v00008086d000015B7sv00001028sd000007A1bc02sc00i00')).toEqual(['e1000e']);
    expect(idx.lookup('usb:v1D6Bp0002d0606dc09dsc00dp01ic09isc00ip1in00')).toEqual(['usbhub']);
    expect(idx.lookup('usb:v1D6Bp0002d0606dc09dsc00dp01ic09isc00ip3in00')).toEqual([]);
    expect(idx.lookup('xay')).toEqual(['first', 'second']);
    expect(idx.lookup('xzy')).toEqual(['second', 'third']);
    expect(idx.lookup('dup')).toEqual(['first']);
  });

  it('an unmatched bracket makes the alias invalid, as in kmod', () => {
    expect(idx.lookup('br[ok')).toEqual([]);
    expect(normalizeAlias('a]b')).toBeUndefined();
    expect(normalizeAlias('a-[0-9]-b')).toBe('a_[0-9]_b');
    expect(underscores('nf-[a-c]-x')).toBe('nf_[a-c]_x');
  });
});

describe('AliasIndex against the definition', () => {
  /** What kmod does without an index: every valid alias in file order whose pattern fnmatches the name. */
  const model = (aliases: { pattern: string; module: string }[], name: string): string[] => {
    const key = normalizeAlias(name);
    if (key === undefined) {
      return [];
    }
    const out: string[] = [];
    for (const a of aliases) {
      const pattern = normalizeAlias(a.pattern);
      if (pattern !== undefined && fnmatch(pattern, key) && !out.includes(a.module)) {
        out.push(a.module);
      }
    }
    return out;
  };
  const text = fc.array(fc.constantFrom('a', 'b', '-', '_', '*', '?', '[', ']', '!', '\\', 'p', ':'), {
    minLength: 1,
    maxLength: 6,
  });
  const pattern = text.map((c) => c.join(''));
  const module = fc.constantFrom('m1', 'm2', 'm3', 'm4');

  it('gives every name the modules of the matching aliases, in file order, however lookups are interleaved', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pattern, module }), { maxLength: 25 }),
        fc.array(pattern, { minLength: 1, maxLength: 12 }),
        (aliases, names) => {
          const index = buildAliasIndex(aliases.map((a, i) => ({ ...a, line: i + 1 })));
          for (const name of names) {
            expect(index.lookup(name)).toEqual(model(aliases, name));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('aliasIndexOfText (indexed as lookups need it)', () => {
  it.each(KERNELS)('%s: answers as the full index for names made from its patterns', (release) => {
    const text = readKernel(release, 'modules.alias');
    const aliases = parseModulesAlias(text, 'a').value;
    const full = buildAliasIndex(aliases);
    const lazy = aliasIndexOfText(text);
    expect(lazy).toBeDefined();
    // Every pattern with its wildcards filled in one way, and as written (a literal is its own name).
    // Every 13th of the generic kernel's 26k (each lookup of the full index scans its glob buckets).
    const step = aliases.length > 5000 ? 13 : 1;
    const names = aliases
      .filter((_, i) => i % step === 0)
      .map((a) => a.pattern.replace(/\[[^\]]*\]/g, 'a').replace(/[*?]/g, 'x'));
    for (const name of [...names, 'ipt_recent', 'nf-logger-2-0', '-', '_', '', '*', '[', 'x']) {
      expect(lazy?.lookup(name), name).toEqual(full.lookup(name));
    }
  });

  it('is not used for a text in another form than depmod writes: parseModulesAlias reports those', () => {
    for (const text of [
      'alias a b extra\n',
      'alias\ta b\n',
      'alias a b\r\n',
      'alias a  b\n',
      'alias a bad/name\n',
      'foo bar\n',
      '\ufeffalias a b\n',
      'alias a b\u2028\n',
    ]) {
      expect(aliasIndexOfText(text), JSON.stringify(text)).toBeUndefined();
    }
    expect(
      aliasIndexOfText('# Aliases extracted from modules themselves.\n\n  # x\nalias a-b m-1\n'),
    ).toBeDefined();
    expect(aliasIndexOfText('')?.lookup('a')).toEqual([]);
  });

  /** The text depmod would write for these aliases (module names as they come). */
  const depmodText = (aliases: { pattern: string; module: string }[], comment: boolean): string =>
    `${comment ? '# Aliases extracted from modules themselves.\n' : ''}${aliases
      .map((a) => `alias ${a.pattern} ${a.module}`)
      .join('\n')}${aliases.length > 0 ? '\n' : ''}`;
  const pattern = fc
    .array(fc.constantFrom('a', 'b', '-', '_', '*', '?', '[', ']', '!', '\\', 'p', ':', '#'), {
      minLength: 1,
      maxLength: 6,
    })
    .map((c) => c.join(''));
  const module = fc.constantFrom('m1', 'm-2', 'm_3', 'M4');

  it('gives every name what buildAliasIndex(parseModulesAlias()) gives, however lookups are interleaved', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pattern, module }), { maxLength: 25 }),
        fc.boolean(),
        fc.array(pattern, { minLength: 1, maxLength: 12 }),
        (aliases, comment, names) => {
          const text = depmodText(aliases, comment);
          const parsed = parseModulesAlias(text, 'a');
          expect(parsed.diagnostics).toEqual([]);
          const full = buildAliasIndex(parsed.value);
          const lazy = aliasIndexOfText(text);
          expect(lazy).toBeDefined();
          for (const name of names) {
            expect(lazy?.lookup(name), name).toEqual(full.lookup(name));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('fnmatch (flags 0)', () => {
  it.each([
    ['*', '', true],
    ['a*b', 'a/x.b', true],
    ['?', '', false],
    ['[]]', ']', true],
    ['[!]]', 'a', true],
    ['[^a]', 'a', false],
    ['[a-c]', 'b', true],
    ['[[:digit:]]x', '7x', true],
    ['[[:bogus:]]', 'a', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['[', '[', true],
    ['a[', 'a[', true],
    ['*a*a*a*a*a*a*a*a*b', 'a'.repeat(200), false],
  ])('%s vs %s -> %s', (p, s, want) => {
    expect(fnmatch(p, s)).toBe(want);
  });

  it('agrees with a regex translation on literal-and-star patterns', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*?]{0,8}$/), fc.stringMatching(/^[ab]{0,10}$/), (p, s) => {
        const re = new RegExp(`^${p.replaceAll('*', '.*').replaceAll('?', '.')}$`, 's');
        expect(fnmatch(p, s)).toBe(re.test(s));
      }),
    );
  });
});

describe('parseModulesAlias edge cases', () => {
  it('bad lines are diagnostics', () => {
    const r = parseModulesAlias('alias onlypattern\nfoo bar baz\nalias a b extra\nalias a bad/name\n', 'f');
    expect(r.value.map((a) => [a.pattern, a.module, a.line])).toEqual([
      ['a', 'b', 3],
      ['a', 'bad/name', 4],
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['alias-missing-field', 1],
      ['not-an-alias-line', 2],
      ['alias-extra-fields', 3],
      ['alias-invalid-module-name', 4],
    ]);
  });

  it('never throws, diagnostics in range; lookup never throws', () => {
    checkTotal(parseModulesAlias, ['alias', 'pci:v*', 'x[a-', 'mod']);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string())), fc.string(), (pairs, name) => {
        const index = buildAliasIndex(
          pairs.map(([pattern, module], i) => ({ pattern, module, line: i + 1 })),
        );
        expect(Array.isArray(index.lookup(name))).toBe(true);
      }),
    );
  });
});
