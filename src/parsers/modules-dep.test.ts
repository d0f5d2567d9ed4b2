import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { depIndexOfText, loadOrder, parseModulesDep, type ModuleDep } from './modules-dep.ts';
import { moduleNameFromPath } from './module-name.ts';
import { KERNELS, checkTotal, kernelFile, readKernel } from './__samples__/kmod/test-helpers.ts';

describe('parseModulesDep on real Debian kernels', () => {
  it('6.1.0-56-amd64: 4023 modules, no diagnostics, closure and paths kept', () => {
    const r = parseModulesDep(readKernel('6.1.0-56-amd64', 'modules.dep'), 'modules.dep');
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toHaveLength(4023);
    const xtSet = r.value.find((d) => d.name === 'xt_set');
    expect(xtSet).toMatchObject({
      path: 'kernel/net/netfilter/xt_set.ko',
      deps: ['ip_set', 'nfnetlink', 'x_tables'],
      depPaths: [
        'kernel/net/netfilter/ipset/ip_set.ko',
        'kernel/net/netfilter/nfnetlink.ko',
        'kernel/net/netfilter/x_tables.ko',
      ],
    });
    expect(r.value.find((d) => d.name === 'x_tables')?.deps).toEqual([]);
  });

  it('loadOrder is the reversed closure, as kmod 30 modprobe --show-depends prints it', () => {
    const r = parseModulesDep(readKernel('6.1.0-56-amd64', 'modules.dep'), 'modules.dep');
    expect(loadOrder(r.value, 'xt_conntrack')).toEqual([
      'libcrc32c',
      'x_tables',
      'nf_defrag_ipv4',
      'nf_defrag_ipv6',
      'nf_conntrack',
      'xt_conntrack',
    ]);
    expect(loadOrder(r.value, 'nft_chain_nat')).toEqual([
      'libcrc32c',
      'nf_defrag_ipv4',
      'nf_defrag_ipv6',
      'nf_conntrack',
      'nf_nat',
      'nfnetlink',
      'nf_tables',
      'nft_chain_nat',
    ]);
    expect(loadOrder(r.value, 'no_such_module')).toBeUndefined();
  });

  it('trixie 6.12 cloud: .ko.xz paths, names without the extension', () => {
    const r = parseModulesDep(readKernel('6.12.117+deb13-cloud-amd64', 'modules.dep'), 'modules.dep');
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toHaveLength(1138);
    expect(r.value.find((d) => d.name === 'xt_recent')).toMatchObject({
      path: 'kernel/net/netfilter/xt_recent.ko.xz',
      deps: ['x_tables'],
      depPaths: ['kernel/net/netfilter/x_tables.ko.xz'],
    });
  });

  it.each(KERNELS)(
    '%s: netfilter and text search modules and their dependencies have empty stub files, nothing else',
    (release) => {
      const r = parseModulesDep(readKernel(release, 'modules.dep'), 'modules.dep');
      const netfilter = r.value.filter((d) => /^kernel\/net\/.*netfilter/.test(d.path));
      expect(netfilter).toHaveLength(244);
      // xt_string requests ts_<algo> (lib/textsearch.c): ts_bm, ts_kmp, ts_fsm.
      const textSearch = r.value.filter((d) => /^kernel\/lib\/ts_/.test(d.path));
      expect(textSearch).toHaveLength(3);
      const wanted = new Set([...netfilter, ...textSearch].flatMap((d) => [d.path, ...d.depPaths]));
      expect(wanted.size).toBe(251);
      for (const p of wanted) {
        const f = kernelFile(release, p);
        expect(existsSync(f), p).toBe(true);
        expect(statSync(f).size).toBe(0);
      }
      const stubs: string[] = [];
      const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = join(dir, e.name);
          if (e.isDirectory()) {
            walk(p);
          } else {
            stubs.push(p);
          }
        }
      };
      walk(kernelFile(release, 'kernel'));
      expect(stubs).toHaveLength(wanted.size);
    },
  );
});

describe('parseModulesDep edge cases', () => {
  it('reports malformed lines with line numbers and keeps going', () => {
    const text = [
      '# comment',
      'kernel/a.ko:',
      'no colon here',
      'kernel/b.ko: kernel/a.ko notamodule',
      'README: kernel/a.ko',
      'kernel/a.ko: kernel/c.ko',
      '/lib/modules/5.10.0/kernel/d.ko.zst:\tkernel/a-b.ko.gz',
      '',
    ].join('\r\n');
    const r = parseModulesDep(text, 'f');
    expect(r.value.map((d) => [d.name, d.deps, d.line])).toEqual([
      ['a', [], 2],
      ['b', ['a'], 4],
      ['a', ['c'], 6],
      ['d', ['a_b'], 7],
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['dep-missing-colon', 3],
      ['dep-not-a-module-path', 4],
      ['dep-not-a-module-path', 5],
      ['dep-duplicate-module', 6],
    ]);
  });

  it('empty input', () => {
    expect(parseModulesDep('', 'f')).toEqual({ value: [], diagnostics: [] });
  });

  it('never throws, diagnostics in range', () => {
    checkTotal(parseModulesDep, ['kernel/x.ko:', 'kernel/y.ko', 'a.ko.xz', ':', 'x.ko.zst:']);
  });
});

describe('parseModulesDep splits dependency lists only when they are read', () => {
  const MODULE_FILE = /\.ko(\.(xz|zst|gz))?$/;
  /** Every line's dependencies split at once, as modules.dep(5) describes them. */
  function eagerDeps(line: string): { depPaths: string[]; bad: string[] } | undefined {
    const trimmed = line.trim();
    const colon = trimmed.indexOf(':');
    if (
      trimmed === '' ||
      trimmed.startsWith('#') ||
      colon <= 0 ||
      !MODULE_FILE.test(trimmed.slice(0, colon).trim())
    ) {
      return undefined;
    }
    const words = trimmed
      .slice(colon + 1)
      .split(/[ \t]+/)
      .filter((d) => d !== '');
    return {
      depPaths: words.filter((d) => MODULE_FILE.test(d)),
      bad: words.filter((d) => !MODULE_FILE.test(d)),
    };
  }
  const word = fc.constantFrom(
    'kernel/a.ko',
    'k/b-c.ko.xz',
    'd.ko.zst',
    '.ko',
    'e.ko.gz',
    'notmod',
    'f.ko.bz2',
    'g.kox',
  );
  const sep = fc.constantFrom(' ', '\t', '  ', ' \t ');
  const line = fc
    .tuple(word, fc.array(fc.tuple(sep, word), { maxLength: 6 }), fc.constantFrom('', ' ', '\t'))
    .map(([head, rest, tail]) => `${head}:${rest.map(([s, w]) => s + w).join('')}${tail}`);

  it('gives the dependencies and the diagnostics of an eager split, line by line', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        const r = parseModulesDep(lines.join('\n'), 'f');
        const expected = lines.map((l, i) => ({ line: i + 1, eager: eagerDeps(l) })).filter((x) => x.eager);
        expect(r.value.map((d) => [d.line, d.depPaths, d.deps])).toEqual(
          expected.map((x) => [x.line, x.eager?.depPaths, x.eager?.depPaths.map(moduleNameFromPath)]),
        );
        const badLines = expected.filter((x) => (x.eager?.bad.length ?? 0) > 0).map((x) => x.line);
        expect(
          r.diagnostics
            .filter((d) => d.message.startsWith('dependencies that are not'))
            .map((d) => d.at.line),
        ).toEqual(badLines);
      }),
      { numRuns: 800 },
    );
  });

  it('carries the file on every entry and keeps only public fields enumerable', () => {
    const [entry] = parseModulesDep('kernel/x.ko: kernel/y-z.ko\n', '/lib/modules/6.1/modules.dep').value;
    expect(entry?.file).toBe('/lib/modules/6.1/modules.dep');
    expect(entry?.deps).toEqual(['y_z']);
    expect(Object.keys(entry ?? {})).toEqual(['name', 'path', 'line', 'file']);
  });
});

describe('depIndexOfText (lines split as modules are read)', () => {
  /** What kernel-view indexed before: parseModulesDep's entries by name, a later line winning. */
  const eagerIndex = (text: string): Map<string, ModuleDep & { readonly file: string }> =>
    new Map(parseModulesDep(text, 'modules.dep').value.map((d) => [d.name, d]));
  const plain = (d: ModuleDep & { readonly file: string }): object => ({
    name: d.name,
    path: d.path,
    deps: d.deps,
    depPaths: d.depPaths,
    line: d.line,
    file: d.file,
  });

  it.each(KERNELS)('%s: every module as parseModulesDep gives it, in file order', (release) => {
    const text = readKernel(release, 'modules.dep');
    const eager = eagerIndex(text);
    const lazy = depIndexOfText(text, 'modules.dep');
    expect(lazy).toBeDefined();
    expect(lazy?.size).toBe(eager.size);
    expect([...(lazy?.keys() ?? [])]).toEqual([...eager.keys()]);
    for (const [name, entry] of eager) {
      expect(lazy?.has(name)).toBe(true);
      expect(plain(lazy?.get(name) as ModuleDep & { readonly file: string })).toEqual(plain(entry));
    }
    expect(lazy?.get('no_such_module')).toBeUndefined();
    expect([...(lazy?.values() ?? [])].map(plain)).toEqual([...eager.values()].map(plain));
  });

  it('declines a text in any other form (parseModulesDep reads those, with what it has to say)', () => {
    for (const text of [
      'a.ko: b.ko\na.ko:\n',
      ' a.ko:\n',
      'a.ko: \n',
      'a.ko:\tb\n',
      'a.ko: b.txt\n',
      'a b.ko:\n',
      'a.ko:\r\n',
      '\ufeffa.ko:\n',
      'a.ko\n',
      ':\n',
    ]) {
      expect(depIndexOfText(text, 'f'), JSON.stringify(text)).toBeUndefined();
    }
  });

  const path = fc
    .tuple(
      fc.constantFrom('', 'kernel/', 'kernel/net/', 'x-y/'),
      fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/),
      fc.constantFrom('.ko', '.ko.xz', '.ko.zst', '.ko.gz'),
    )
    .map(([dir, stem, ext]) => `${dir}${stem}${ext}`);
  const line = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(path, fc.array(path, { maxLength: 3 }))
        .map(([p, d]) => `${p}:${d.map((x) => ` ${x}`).join('')}`),
    },
    { weight: 1, arbitrary: fc.constantFrom('', '# comment', '   ', '\t# x') },
  );

  it('equals the eager index on generated depmod texts, or declines where parseModulesDep reports something', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, finalNewline) => {
        const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
        const lazy = depIndexOfText(text, 'modules.dep');
        const parsed = parseModulesDep(text, 'modules.dep');
        if (lazy === undefined) {
          expect(parsed.diagnostics.length).toBeGreaterThan(0);
          return;
        }
        expect(parsed.diagnostics).toEqual([]);
        const eager = eagerIndex(text);
        expect([...lazy.keys()]).toEqual([...eager.keys()]);
        for (const [name, entry] of eager) {
          expect(plain(lazy.get(name) as ModuleDep & { readonly file: string })).toEqual(plain(entry));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
