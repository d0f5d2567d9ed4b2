import { describe, expect, it } from 'vitest';
import { parseLsmod, parseProcModules } from './proc-modules.ts';
import { checkTotal, readSample } from './__samples__/kmod/test-helpers.ts';

describe('lsmod output from the lab (Debian 12, 6.1.0-56-cloud-amd64)', () => {
  it('healthy: xt_recent loaded and used by 2 rules', () => {
    const r = parseProcModules(readSample('lsmod-healthy.txt'), 'lsmod');
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toHaveLength(52);
    expect(r.value.find((m) => m.name === 'xt_recent')).toMatchObject({
      size: 24576,
      refcount: 2,
      usedBy: [],
      line: 15,
    });
    expect(r.value.find((m) => m.name === 'kvm')).toMatchObject({ refcount: 1, usedBy: ['kvm_amd'] });
  });

  it('missing-xt-recent: no xt_recent, same parser via parseLsmod', () => {
    const r = parseLsmod(readSample('lsmod-missing-xt-recent.txt'), 'lsmod');
    expect(r.diagnostics).toEqual([]);
    expect(r.value.some((m) => m.name === 'xt_recent')).toBe(false);
    expect(r.value.some((m) => m.name === 'x_tables')).toBe(true);
  });
});

describe('/proc/modules format (kernel/module/procfs.c m_show)', () => {
  it('users with trailing comma, "-" for none, states, taint flags, no-unload kernels', () => {
    const text = [
      'nf_nat 57344 2 xt_nat,xt_MASQUERADE, Live 0xffffffffc0a1b000',
      'xt_recent 24576 2 - Live 0x0000000000000000',
      'dxgkrnl 315392 0 - Loading 0x0000000000000000 (OE)',
      'ext4 1085440 1 [permanent], Live 0x0',
      'nomod - - Live 0x0',
      'x_tables 65536 1 - Live 0x0',
      'tcp_bbr 20480 3 - Gone 0x0',
    ].join('\n');
    const r = parseProcModules(text, '/proc/modules');
    expect(r.value.map((m) => [m.name, m.refcount, m.usedBy, m.state, m.taint, m.line])).toEqual([
      ['nf_nat', 2, ['xt_nat', 'xt_MASQUERADE'], 'Live', '', 1],
      ['xt_recent', 2, [], 'Live', '', 2],
      ['dxgkrnl', 0, [], 'Loading', 'OE', 3],
      ['ext4', 1, [], 'Live', '', 4],
      ['x_tables', 1, [], 'Live', '', 6],
      ['tcp_bbr', 3, [], 'Gone', '', 7],
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['proc-modules-malformed-line', 5],
      ['proc-modules-unknown-state', 7],
    ]);
  });

  it('CONFIG_MODULE_UNLOAD=n prints " - -" for refcount and users', () => {
    const r = parseProcModules('xt_recent 24576 - - Live 0x0\n', 'f');
    expect(r.value[0]).toMatchObject({ refcount: -1, usedBy: [] });
  });

  it('the build machine has no /proc/modules at all; an empty file is no modules', () => {
    expect(parseProcModules('', '/proc/modules')).toEqual({ value: [], diagnostics: [] });
  });

  it('never throws, diagnostics in range', () => {
    checkTotal(parseProcModules, [
      'Module',
      'Size',
      'Used by',
      'x 1 0 - Live 0x0',
      'Live',
      '-',
      '0x0',
      '(OE)',
    ]);
    checkTotal(parseLsmod, ['Module', 'Size', 'Used by', 'x 1 0', 'a,b']);
  });
});
