import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinAliases, parseModulesBuiltin, parseModulesBuiltinModinfo } from './modules-builtin.ts';
import { parseModulesOrder } from './modules-order.ts';
import { KERNELS, checkTotal, kernelFile, readKernel } from './__samples__/kmod/test-helpers.ts';

describe('modules.builtin on real Debian kernels', () => {
  it.each([
    ['6.1.0-56-amd64', 186],
    ['6.1.0-56-cloud-amd64', 141],
    ['6.12.117+deb13-cloud-amd64', 150],
  ])('%s: %i builtin modules, none of them netfilter', (release, count) => {
    const r = parseModulesBuiltin(readKernel(release, 'modules.builtin'), 'modules.builtin');
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toHaveLength(count);
    expect(r.value[0]).toEqual({
      name: 'amd_uncore',
      path: 'kernel/arch/x86/events/amd/amd-uncore.ko',
      line: 1,
    });
    expect(r.value.filter((m) => /netfilter/.test(m.path))).toEqual([]);
  });
});

describe('modules.builtin.modinfo on real Debian kernels', () => {
  it('6.1.0-56-amd64: 1061 NUL-separated records', () => {
    const r = parseModulesBuiltinModinfo(
      readFileSync(kernelFile('6.1.0-56-amd64', 'modules.builtin.modinfo')),
      'm',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toHaveLength(1061);
    expect(r.value).toContainEqual({
      module: 'amd_uncore',
      key: 'file',
      value: 'arch/x86/events/amd/amd-uncore',
    });
    const aliases = builtinAliases(r.value);
    expect(aliases.length).toBe(62);
    expect(aliases).toContainEqual({ pattern: 'fs-debugfs', module: 'debugfs' });
  });

  it('trixie 6.12 cloud: a value with an embedded newline stays one record', () => {
    const r = parseModulesBuiltinModinfo(
      readFileSync(kernelFile('6.12.117+deb13-cloud-amd64', 'modules.builtin.modinfo')),
      'm',
    );
    expect(r.diagnostics).toEqual([]);
    const multi = r.value.filter((x) => x.value.includes('\n'));
    expect(multi).toHaveLength(1);
    expect(multi[0]?.key).toBe('parm');
    expect(multi[0]?.value).toContain('With value "force"');
  });

  it('string input, malformed records, trailing garbage', () => {
    const r = parseModulesBuiltinModinfo('a.b=c\0noequals\0.x=1\0m.=v\0m-x.alias=y\0\0 \n', 'f');
    expect(r.value).toEqual([
      { module: 'a', key: 'b', value: 'c' },
      { module: 'm_x', key: 'alias', value: 'y' },
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['modinfo-malformed-record', 2],
      ['modinfo-malformed-record', 3],
      ['modinfo-malformed-record', 4],
    ]);
  });

  it('never throws on arbitrary bytes; diagnostics name a record that exists', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = parseModulesBuiltinModinfo(bytes, 'f');
        const records = new TextDecoder().decode(bytes).split('\0').length;
        for (const d of r.diagnostics) {
          expect(d.at.line).toBeGreaterThanOrEqual(1);
          expect(d.at.line).toBeLessThanOrEqual(records);
        }
      }),
    );
  });
});

describe('modules.order on real Debian kernels', () => {
  it.each(KERNELS)('%s: one entry per modules.dep line, link order', (release) => {
    const r = parseModulesOrder(readKernel(release, 'modules.order'), 'modules.order');
    expect(r.diagnostics).toEqual([]);
    const deps = readKernel(release, 'modules.dep')
      .split('\n')
      .filter((l) => l !== '').length;
    expect(r.value).toHaveLength(deps);
    expect(r.value[0]).toEqual({ name: 'power', path: 'kernel/arch/x86/events/amd/power.ko', line: 1 });
  });

  it('bad and duplicate lines', () => {
    const r = parseModulesOrder('kernel/a.ko\nkernel/a.ko\nnot a path\nkernel/b.o\n', 'f');
    expect(r.value.map((m) => m.name)).toEqual(['a', 'a', 'b']);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['order-duplicate-module', 2],
      ['order-not-a-module-path', 3],
    ]);
  });

  it('never throws, diagnostics in range', () => {
    checkTotal(parseModulesOrder, ['kernel/x.ko', 'y.ko.xz', 'z.o']);
    checkTotal(parseModulesBuiltin, ['kernel/x.ko', 'y.ko.xz', 'z.o']);
  });
});
