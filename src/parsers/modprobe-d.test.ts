import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModprobeDirective } from './modprobe-d.ts';
import { buildModulePolicy, installEffect, orderModprobeFiles, parseModprobeD } from './modprobe-d.ts';
import { parseKernelCmdline } from './kernel-cmdline.ts';
import { parseModulesSoftdep } from './modules-softdep.ts';
import { checkTotal, readKernel, readSample, sampleFile } from './__samples__/kmod/test-helpers.ts';

const parse = (name: string): ReturnType<typeof parseModprobeD> =>
  parseModprobeD(readSample(`modprobe.d/${name}`), name);

describe('parseModprobeD on real files', () => {
  it('Debian kmod aliases.conf: options and softdeps, dashes folded', () => {
    const r = parse('debian-bookworm-lib/aliases.conf');
    expect(r.diagnostics).toEqual([]);
    expect(r.value.map((d) => d.kind)).toEqual([
      'options',
      'options',
      'options',
      'options',
      'options',
      'softdep',
      'softdep',
    ]);
    expect(r.value[0]).toMatchObject({
      kind: 'options',
      module: 'snd_pcsp',
      options: 'index=-2',
      at: { line: 5 },
    });
    expect(r.value[5]).toMatchObject({ kind: 'softdep', module: 'uhci_hcd', pre: ['ehci-hcd'], post: [] });
  });

  it('Debian systemd.conf', () => {
    const r = parse('debian-bookworm-lib/systemd.conf');
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual([
      {
        kind: 'options',
        module: 'bonding',
        options: 'max_bonds=0',
        at: { file: 'debian-bookworm-lib/systemd.conf', line: 16 },
      },
      {
        kind: 'options',
        module: 'dummy',
        options: 'numdummies=0',
        at: { file: 'debian-bookworm-lib/systemd.conf', line: 20 },
      },
      {
        kind: 'options',
        module: 'ifb',
        options: 'numifbs=0',
        at: { file: 'debian-bookworm-lib/systemd.conf', line: 24 },
      },
    ]);
  });

  it('lab: install xt_recent /bin/false blocks it, with an error', () => {
    const r = parse('lab/nflab-no-xt-recent.conf');
    expect(r.value).toEqual([
      {
        kind: 'install',
        module: 'xt_recent',
        command: '/bin/false',
        at: { file: 'lab/nflab-no-xt-recent.conf', line: 1 },
      },
    ]);
    const policy = buildModulePolicy(r.value);
    expect(policy.installOf('xt_recent')?.command).toBe('/bin/false');
    expect(policy.installEffect('/bin/false')).toBe('blocks-with-error');
    expect(policy.isInstallBlocking('/bin/false')).toBe(true);
  });

  it('lab: options xt_recent ip_list_tot=0', () => {
    const policy = buildModulePolicy(parse('lab/nflab-xt-recent-bad-option.conf').value);
    expect(policy.optionsOf('xt-recent').map((o) => o.options)).toEqual(['ip_list_tot=0']);
  });
});

describe('agreement with kmod 30 --showconfig on the edge-case file', () => {
  const r = parse('tricky/tricky.conf');
  const show = readSample('showconfig-tricky.txt')
    .split('\n')
    .filter((l) => /^(blacklist|install|remove|alias|options) /.test(l));

  it('same blacklist/install/remove/alias/options, in the same order, CR kept', () => {
    const order = ['blacklist', 'install', 'remove', 'alias', 'options'];
    const mine = order.flatMap((kind) =>
      r.value
        .filter((d) => d.kind === kind)
        .map((d: ModprobeDirective) => {
          switch (d.kind) {
            case 'blacklist':
              return `blacklist ${d.module}`;
            case 'install':
            case 'remove':
              return `${d.kind} ${d.module} ${d.command}`;
            case 'alias':
              return `alias ${d.pattern} ${d.module}`;
            case 'options':
              return `options ${d.module} ${d.options}`;
            default:
              return '';
          }
        }),
    );
    const squash = (s: string): string => s.replace(/ +/g, ' ');
    expect(mine.map(squash)).toEqual(show.map(squash));
    expect(mine).toContain('blacklist crlf_mod\r');
  });

  it('softdep: pre lists merge, kmod rejects the one without names', () => {
    expect(r.value.filter((d) => d.kind === 'softdep')).toEqual([
      {
        kind: 'softdep',
        module: 'x',
        pre: ['a', 'b', 'd'],
        post: ['c'],
        at: { file: 'tricky/tricky.conf', line: 15 },
      },
    ]);
  });

  it('every line kmod complains about is a diagnostic on the same line', () => {
    const kmodLines = [
      ...readSample('showconfig-tricky.stderr.txt').matchAll(/line (\d+): ignoring bad line/g),
    ].map((m) => Number(m[1]));
    expect(kmodLines).toEqual([1, 11, 16, 17, 19, 20]);
    const warned = new Set(
      r.diagnostics
        .filter((d) => d.severity !== 'info' || d.code === 'weakdep-needs-kmod-33')
        .map((d) => d.at.line),
    );
    for (const l of kmodLines) {
      expect(warned.has(l), `line ${l}`).toBe(true);
    }
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['byte-order-mark', 1],
      ['carriage-return', 14],
      ['unknown-command', 1],
      ['indented-comment', 11],
      ['missing-argument', 16],
      ['weakdep-needs-kmod-33', 17],
      ['deprecated-command', 18],
      ['unknown-command', 19],
      ['missing-argument', 20],
      ['blacklist-pattern', 22],
    ]);
  });
});

describe('orderModprobeFiles (kmod conf_files_insert_sorted)', () => {
  it('one list sorted by name; higher-priority dir shadows the same name; non-.conf ignored', () => {
    const out = orderModprobeFiles([
      { dir: '/lib/modprobe.d', name: 'aliases.conf' },
      { dir: '/usr/lib/modprobe.d', name: 'aliases.conf' },
      { dir: '/etc/modprobe.d', name: 'zz-local.conf' },
      { dir: '/usr/lib/modprobe.d', name: 'systemd.conf' },
      { dir: '/lib/modprobe.d/', name: 'systemd.conf' },
      { dir: '/etc/modprobe.d', name: 'systemd.conf' },
      { dir: '/run/modprobe.d', name: 'blacklist.txt' },
      { dir: '/etc/modprobe.d', name: '.hidden.conf' },
      { dir: '/usr/local/lib/modprobe.d', name: 'a.conf' },
      { dir: '/etc/modprobe.conf.d', name: 'b.conf' },
    ]);
    expect(out).toEqual([
      { dir: '/etc/modprobe.d', name: '.hidden.conf', ignored: 'hidden' },
      { dir: '/usr/local/lib/modprobe.d', name: 'a.conf' },
      { dir: '/usr/lib/modprobe.d', name: 'aliases.conf' },
      { dir: '/lib/modprobe.d', name: 'aliases.conf', shadowedBy: '/usr/lib/modprobe.d/aliases.conf' },
      { dir: '/etc/modprobe.conf.d', name: 'b.conf' },
      { dir: '/run/modprobe.d', name: 'blacklist.txt', ignored: 'not-conf' },
      { dir: '/etc/modprobe.d', name: 'systemd.conf' },
      { dir: '/usr/lib/modprobe.d', name: 'systemd.conf', shadowedBy: '/etc/modprobe.d/systemd.conf' },
      { dir: '/lib/modprobe.d', name: 'systemd.conf', shadowedBy: '/etc/modprobe.d/systemd.conf' },
      { dir: '/etc/modprobe.d', name: 'zz-local.conf' },
    ]);
  });

  it('the real sample directories', () => {
    const files = ['debian-bookworm-lib', 'lab'].flatMap((d) =>
      readdirSync(sampleFile(`modprobe.d/${d}`)).map((name) => ({
        dir: d === 'lab' ? '/etc/modprobe.d' : '/lib/modprobe.d',
        name,
      })),
    );
    expect(orderModprobeFiles(files).map((f) => f.name)).toEqual([
      'aliases.conf',
      'nflab-no-xt-recent.conf',
      'nflab-xt-recent-bad-option.conf',
      'systemd.conf',
    ]);
  });
});

describe('buildModulePolicy (semantics checked with kmod 30 modprobe -n -v)', () => {
  const text = [
    'install xt_recent /bin/false',
    'install xt_recent /bin/true',
    'install nf_conntrack_* /bin/true',
    'remove xt_recent /bin/echo bye',
    'blacklist xt-recent',
    'blacklist xt_*',
    'options xt_recent a=1',
    'options xt_rec* b=2',
    'options xt-recent c=3',
    'softdep xt_LOG pre: nfnetlink_log',
  ].join('\n');
  const directives = parseModprobeD(text, '/etc/modprobe.d/x.conf').value;
  const cmdline = parseKernelCmdline(
    'module_blacklist=nf_tables modprobe.blacklist=ip_set,xt-set xt_recent.ip_pkt_list_tot=50',
    '/proc/cmdline',
  ).value;
  const policy = buildModulePolicy(directives, cmdline);

  it('install: the first match wins, names may be globs', () => {
    expect(policy.installOf('xt_recent')).toEqual({
      command: '/bin/false',
      at: { file: '/etc/modprobe.d/x.conf', line: 1 },
    });
    expect(policy.installOf('nf-conntrack-ftp')?.command).toBe('/bin/true');
    expect(policy.installOf('xt_set')).toBeUndefined();
    expect(policy.removeOf('xt_recent')?.command).toBe('/bin/echo bye');
  });

  it('blacklist: literal names only, modprobe.blacklist= kept as written', () => {
    expect(policy.blacklistOf('xt_recent')).toEqual([{ file: '/etc/modprobe.d/x.conf', line: 5 }]);
    expect(policy.blacklistOf('xt_set')).toEqual([]);
    expect(policy.blacklistOf('ip_set')).toEqual([{ file: '/proc/cmdline', line: 1 }]);
    expect(policy.kernelBlacklistOf('nf-tables')).toEqual([{ file: '/proc/cmdline', line: 1 }]);
    expect(policy.kernelBlacklistOf('ip_set')).toEqual([]);
  });

  it('options: every exact line, then the kernel command line; no patterns', () => {
    expect(policy.optionsOf('xt_recent').map((o) => o.options)).toEqual(['a=1', 'c=3', 'ip_pkt_list_tot=50']);
  });

  it('softdep: modprobe.d first, then modules.softdep; the first match wins', () => {
    const fromKernel = parseModulesSoftdep(
      readKernel('6.1.0-56-amd64', 'modules.softdep'),
      'modules.softdep',
    ).value.map((s): ModprobeDirective => ({
      kind: 'softdep',
      module: s.module,
      pre: s.pre,
      post: s.post,
      at: { file: 'modules.softdep', line: s.line },
    }));
    const p = buildModulePolicy([...directives, ...fromKernel]);
    expect(p.softdepOf('xt_LOG')?.pre).toEqual(['nfnetlink_log']);
    expect(p.softdepOf('xt_TRACE')?.pre).toEqual(['nf_log_syslog']);
    // ksmbd has 12 softdep lines in modules.softdep; kmod 30 only uses the first (pre: crc32).
    expect(p.softdepOf('ksmbd')?.pre).toEqual(['crc32']);
  });
});

describe('installEffect', () => {
  it.each([
    ['/bin/false', 'blocks-with-error'],
    ['false', 'blocks-with-error'],
    ['/usr/bin/false', 'blocks-with-error'],
    ['/bin/true', 'blocks-silently'],
    ['true', 'blocks-silently'],
    ['', 'blocks-silently'],
    [':', 'blocks-silently'],
    ['exit 1', 'blocks-with-error'],
    ['exit 0', 'blocks-silently'],
    ['/bin/echo "xt_recent is disabled"', 'blocks-silently'],
    ['/bin/sh -c "echo no; exit 1"', 'blocks-with-error'],
    ['/sbin/modprobe --ignore-install xt_recent $CMDLINE_OPTS', 'loads'],
    ['/sbin/modprobe --ignore-install usb-storage; /bin/echo loaded', 'loads'],
    ['/usr/local/sbin/custom-loader', 'unknown'],
  ])('%s -> %s', (command, effect) => {
    expect(installEffect(command)).toBe(effect);
  });
});

describe('parseModprobeD totality', () => {
  it('never throws, diagnostics in range', () => {
    checkTotal(parseModprobeD, [
      'blacklist',
      'install',
      'remove',
      'alias',
      'options',
      'softdep',
      'weakdep',
      'include',
      'pre:',
      'post:',
    ]);
  });

  it('the samples on disk are read as bytes the same way', () => {
    const raw = readFileSync(sampleFile('modprobe.d/tricky/tricky.conf'), 'utf8');
    expect(parseModprobeD(raw, 'x').value.length).toBeGreaterThan(10);
  });
});
