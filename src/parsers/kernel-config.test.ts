import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  configString,
  configValuesOfText,
  decodeMaybeGzip,
  MAX_KERNEL_CONFIG_BYTES,
  parseKernelConfig,
  readKernelConfig,
} from './kernel-config.ts';
import { KERNELS, checkTotal, readKernel, sampleFile } from './__samples__/kmod/test-helpers.ts';

describe('parseKernelConfig on real Debian configs', () => {
  it('6.1.0-56-amd64: netfilter symbols, "is not set" as n', () => {
    const r = parseKernelConfig(readKernel('6.1.0-56-amd64', 'config-6.1.0-56-amd64'), 'config');
    expect(r.diagnostics).toEqual([]);
    const c = r.value;
    expect(c.get('CONFIG_NETFILTER_XT_MATCH_RECENT')?.value).toBe('m');
    expect(c.get('CONFIG_NETFILTER')?.value).toBe('y');
    expect(c.get('CONFIG_NETFILTER_NETLINK_HOOK')?.value).toBe('n');
    expect(c.get('CONFIG_IP_SET_MAX')?.value).toBe('256');
    expect(c.get('CONFIG_MODULE_COMPRESS_NONE')?.value).toBe('y');
    expect(c.get('CONFIG_LOCALVERSION')?.value).toBe('""');
    expect(configString(c.get('CONFIG_CC_VERSION_TEXT')?.value ?? '')).toMatch(/^gcc/);
  });

  it('trixie 6.12 cloud: xz-compressed modules, netlink hook built', () => {
    const c = parseKernelConfig(
      readKernel('6.12.117+deb13-cloud-amd64', 'config-6.12.117+deb13-cloud-amd64'),
      'c',
    ).value;
    expect(c.get('CONFIG_MODULE_COMPRESS_XZ')?.value).toBe('y');
    expect(c.get('CONFIG_NETFILTER_NETLINK_HOOK')?.value).toBe('m');
  });

  it('/proc/config.gz of the build machine: gunzipped, modules not supported', () => {
    const d = decodeMaybeGzip(readFileSync(sampleFile('proc-config.gz')));
    expect('text' in d).toBe(true);
    const text = 'text' in d ? d.text : '';
    const r = parseKernelConfig(text, '/proc/config.gz');
    expect(r.diagnostics).toEqual([]);
    expect(r.value.get('CONFIG_MODULES')?.value).toBe('n');
    expect(r.value.get('CONFIG_IKCONFIG_PROC')?.value).toBe('y');
    expect(r.value.get('CONFIG_NF_TABLES')?.value).toBe('y');
  });
});

describe('decodeMaybeGzip', () => {
  it('plain text passes through, gzip is decoded, broken gzip is an error', () => {
    expect(decodeMaybeGzip(new TextEncoder().encode('CONFIG_A=y\n'))).toEqual({ text: 'CONFIG_A=y\n' });
    expect(decodeMaybeGzip(gzipSync('CONFIG_A=m\n'))).toEqual({ text: 'CONFIG_A=m\n' });
    const broken = gzipSync('CONFIG_A=m\n').subarray(0, 12);
    expect(decodeMaybeGzip(broken)).toHaveProperty('error');
  });

  it('refuses gzip that inflates beyond a kernel config, without inflating all of it', () => {
    // 64 MiB of one byte is 64 KiB of gzip: a file a damaged or hostile snapshot can hold as /proc/config.gz.
    const bomb = gzipSync(Buffer.alloc(4 * MAX_KERNEL_CONFIG_BYTES, 0x41), { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    expect(decodeMaybeGzip(bomb)).toEqual({ error: 'inflates to more than 16 MiB: not a kernel config' });
    const big = gzipSync(Buffer.alloc(MAX_KERNEL_CONFIG_BYTES, 0x41));
    expect(decodeMaybeGzip(big)).toHaveProperty('text');
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, magic) => {
        const data = magic ? Uint8Array.from([0x1f, 0x8b, ...bytes]) : bytes;
        const r = decodeMaybeGzip(data);
        expect('text' in r || 'error' in r).toBe(true);
      }),
    );
  });
});

describe('parseKernelConfig edge cases', () => {
  it('malformed lines, empty values, unterminated strings, duplicates (later wins)', () => {
    const r = parseKernelConfig(
      [
        '# comment',
        'CONFIG_A=y',
        'FOO=bar',
        'CONFIG_B=',
        'CONFIG_C="open',
        'CONFIG_A=m',
        '# CONFIG_D is not set',
        '',
      ].join('\n'),
      'f',
    );
    expect([...r.value].map(([k, v]) => [k, v.value, v.line])).toEqual([
      ['CONFIG_A', 'm', 6],
      ['CONFIG_B', '', 4],
      ['CONFIG_C', '"open', 5],
      ['CONFIG_D', 'n', 7],
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['config-malformed-line', 3],
      ['config-empty-value', 4],
      ['config-unterminated-string', 5],
      ['config-duplicate-symbol', 6],
    ]);
    expect(configString('"a\\"b"')).toBe('a"b');
  });

  it('never throws, diagnostics in range', () => {
    checkTotal(parseKernelConfig, ['CONFIG_X=y', 'CONFIG_Y', '=m', '# CONFIG_Z is not set', '"s']);
  });
});

describe('parseKernelConfig reads a line as the kconfig line grammar does', () => {
  // The grammar as two anchored expressions (scripts/kconfig/confdata.c conf_read_simple reads the same two forms).
  const NOT_SET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;
  const ASSIGN = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
  function byExpressions(raw: string): [string, string] | 'comment' | 'malformed' {
    const n = NOT_SET.exec(raw);
    if (n?.[1] !== undefined) {
      return [n[1], 'n'];
    }
    if (raw.startsWith('#')) {
      return 'comment';
    }
    const m = ASSIGN.exec(raw);
    return m?.[1] === undefined || m[2] === undefined ? 'malformed' : [m[1], m[2]];
  }
  const head = fc.constantFrom('CONFIG_A=', '# CONFIG_B', 'CONFIG_A', 'CONFIG_A_9=', '#', '');
  const piece = fc.constantFrom(
    'CONFIG_',
    'A',
    '_9',
    '=',
    'y',
    '"s"',
    '#',
    ' ',
    '# ',
    ' is not set',
    '\r',
    '\u2028',
    'x-y',
    '',
  );

  it('gives every line the name and value, comment or malformed verdict of the anchored expressions', () => {
    fc.assert(
      fc.property(
        head,
        fc.array(piece, { maxLength: 6 }),
        fc.array(piece, { maxLength: 3 }),
        (h, ps, tail) => {
          const raw = `${ps.slice(0, 1).join('')}${h}${ps.slice(1).join('')}${tail.join('')}`.trimEnd();
          fc.pre(raw !== '' && !raw.includes('\n'));
          const expected = byExpressions(raw);
          const r = parseKernelConfig(`${raw}\n`, 'c');
          const malformed = r.diagnostics.some((d) => d.code === 'config-malformed-line');
          const entry = [...r.value.entries()][0];
          if (expected === 'comment') {
            expect([r.value.size, malformed]).toEqual([0, false]);
          } else if (expected === 'malformed') {
            expect([r.value.size, malformed]).toEqual([0, true]);
          } else {
            expect([entry?.[0], entry?.[1].value, malformed]).toEqual([expected[0], expected[1], false]);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('configValuesOfText (lines read as symbols are looked up)', () => {
  const asPairs = (m: ReadonlyMap<string, { value: string; line: number }>): [string, string, number][] =>
    [...m].map(([k, v]) => [k, v.value, v.line]);

  it.each(KERNELS)('%s: every symbol as parseKernelConfig gives it, in file order', (release) => {
    const text = readKernel(release, `config-${release}`);
    const eager = parseKernelConfig(text, 'config').value;
    const lazy = configValuesOfText(text);
    expect(lazy).toBeDefined();
    expect(lazy?.size).toBe(eager.size);
    for (const [name, v] of eager) {
      expect(lazy?.get(name), name).toEqual(v);
    }
    expect(asPairs(lazy as ReadonlyMap<string, { value: string; line: number }>)).toEqual(asPairs(eager));
    expect(lazy?.get('CONFIG_NO_SUCH_SYMBOL')).toBeUndefined();
    expect(lazy?.has('CONFIG_NETFILTER')).toBe(true);
    expect(lazy?.get('NETFILTER')).toBeUndefined();
  });

  it('declines a text in any other form; readKernelConfig then gives parseKernelConfig with its diagnostics', () => {
    for (const text of [
      'CONFIG_A=y\nCONFIG_A=m\n',
      'CONFIG_A=y\n# CONFIG_A is not set\n',
      'CONFIG_A=\n',
      'CONFIG_A=y \n',
      'CONFIG_A="x\n',
      ' CONFIG_A=y\n',
      'CONFIG_A=y\r\n',
      '# CONFIG_A is not set \n',
      'FOO=y\n',
    ]) {
      expect(configValuesOfText(text), JSON.stringify(text)).toBeUndefined();
      expect(readKernelConfig(text, 'f')).toEqual(parseKernelConfig(text, 'f'));
    }
  });

  const symbol = fc.constantFrom('CONFIG_A', 'CONFIG_AB', 'CONFIG_B_1', 'CONFIG_X');
  const line = fc.oneof(
    fc
      .tuple(symbol, fc.constantFrom('y', 'm', '0x10', '"a b"', '"q\\"x"', '-1', 'y"'))
      .map(([s, v]) => `${s}=${v}`),
    symbol.map((s) => `# ${s} is not set`),
    fc.constantFrom('', '#', '# comment', '# CONFIG_A=y', '# CONFIG_B_1 is not set, really', '   '),
  );

  it('equals parseKernelConfig on generated configs, or declines where that reports something', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), fc.boolean(), (lines, finalNewline) => {
        const text = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '');
        const eager = parseKernelConfig(text, 'config');
        const lazy = configValuesOfText(text);
        if (lazy === undefined) {
          expect(eager.diagnostics.length > 0 || /(^|\n)\s+(\n|$)/.test(text) || text.includes(' \n')).toBe(
            true,
          );
          return;
        }
        expect(eager.diagnostics).toEqual([]);
        expect(asPairs(lazy)).toEqual(asPairs(eager.value));
        for (const name of ['CONFIG_A', 'CONFIG_AB', 'CONFIG_B_1', 'CONFIG_X', 'CONFIG_Z']) {
          expect(lazy.get(name), name).toEqual(eager.value.get(name));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
