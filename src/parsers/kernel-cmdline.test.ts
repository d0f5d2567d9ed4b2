import { describe, expect, it } from 'vitest';
import { parseKernelCmdline } from './kernel-cmdline.ts';
import { checkTotal, readSample } from './__samples__/kmod/test-helpers.ts';

describe('parseKernelCmdline', () => {
  it('the build machine /proc/cmdline: params before "--", init arguments after', () => {
    const r = parseKernelCmdline(readSample('proc-cmdline'), '/proc/cmdline');
    expect(r.diagnostics).toEqual([]);
    expect(r.value.params.get('nomodule')).toBe('');
    expect(r.value.params.get('mitigations')).toBe('auto,no_guest_host,no_guest_guest');
    expect(r.value.params.get('random.trust_cpu')).toBe('1');
    expect(r.value.params.has('__firecracker_init')).toBe(false);
    expect(r.value.initArgs).toContain('--firecracker-init');
    expect(r.value.moduleBlacklist).toEqual([]);
    expect(r.value.modprobeBlacklist).toEqual([]);
  });

  it('module_blacklist: last one wins, dashes in the key fold; modprobe.blacklist: every one counts', () => {
    const r = parseKernelCmdline(
      'ro module_blacklist=a,b module-blacklist=xt_recent,nf_tables modprobe.blacklist=x,y, modprobe.blacklist=z -- modprobe.blacklist=w\n',
      'f',
    );
    expect(r.value.moduleBlacklist).toEqual(['xt_recent', 'nf_tables']);
    // kmod reads the whole line; it does not know about "--".
    expect(r.value.modprobeBlacklist).toEqual(['x', 'y', 'z', 'w']);
    expect(r.value.params.get('ro')).toBe('');
  });

  it('quotes group words and are removed (kernel next_arg)', () => {
    const r = parseKernelCmdline('a="b c" "d=e f" dyndbg="file x.c +p" last', 'f');
    expect([...r.value.params]).toEqual([
      ['a', 'b c'],
      ['d', 'e f'],
      ['dyndbg', 'file x.c +p'],
      ['last', ''],
    ]);
  });

  it('bad module names are flagged; extra lines noted', () => {
    const r = parseKernelCmdline('module_blacklist=ok,bad/name\nsecond line\n', 'f');
    expect(r.value.moduleBlacklist).toEqual(['ok', 'bad/name']);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['cmdline-multiple-lines', 2],
      ['cmdline-invalid-module-name', 1],
    ]);
  });

  it('never throws, diagnostics in range', () => {
    checkTotal(parseKernelCmdline, ['module_blacklist=', 'modprobe.blacklist=', '--', '"', 'a=b', ',']);
  });
});
