import { describe, it, expect } from 'vitest';
import { checkRules, type CheckResult } from './check-rules.ts';
import { hostKernelLayout } from './kernel-view.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import { kernelFiles } from '../testing/kernel-fixture.ts';
import type { HostReader } from '../sources/host-reader.ts';
import { GEOIP_DATABASE_CORRUPT, GEOIP_DATABASE_MISSING } from './geoip-database.ts';

const RELEASE = '6.1.0-56-cloud-amd64';
const XT = '/usr/lib/x86_64-linux-gnu/xtables';
const REGISTERS = Buffer.from('\x7fELF...xtables_register_match...');
const MODULES = `/lib/modules/${RELEASE}`;

/**
 * Debian's 6.1 metadata plus xt_geoip where DKMS installs it (updates/dkms; its aliases as modinfo prints them
 * for the module built from xtables-addons-dkms 3.23-1), and the geoip library.
 */
function host(
  extra: Record<string, string | Buffer>,
  opts: { module?: boolean; library?: boolean } = {},
): HostReader {
  const kernel = kernelFiles(RELEASE);
  const files: Record<string, string | Buffer> = { ...kernel, ...extra };
  if (opts.module !== false) {
    files[`${MODULES}/modules.dep`] =
      `${kernel[`${MODULES}/modules.dep`]?.toString() ?? ''}updates/dkms/xt_geoip.ko: kernel/net/netfilter/x_tables.ko\n`;
    files[`${MODULES}/modules.alias`] =
      `${kernel[`${MODULES}/modules.alias`]?.toString() ?? ''}alias ip6t_geoip xt_geoip\nalias ipt_geoip xt_geoip\n`;
    files[`${MODULES}/updates/dkms/xt_geoip.ko`] = Buffer.from('\x7fELF');
  }
  files[`${XT}/libxt_conntrack.so`] = REGISTERS;
  if (opts.library !== false) {
    files[`${XT}/libxt_geoip.so`] = REGISTERS;
  }
  return memoryReader({ files, kind: 'root' });
}

const rules = (countries: string): string =>
  `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m geoip --src-cc ${countries} -j DROP\n-A INPUT -m geoip --dst-cc CN -j DROP\nCOMMIT\n`;

function check(reader: HostReader, text: string, family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<CheckResult> {
  const path = family === 'ipv6' ? '/etc/iptables/rules.v6' : '/etc/iptables/rules.v4';
  return checkRules({
    rules: [{ path, text, family }],
    ipsets: [],
    kernelReader: reader,
    layout: hostKernelLayout(RELEASE, 'root', 'test host'),
    userspaceReader: reader,
    backend: { value: 'nft', why: 'test' },
  });
}

describe('geoip databases of the host that loads the rules', () => {
  it('names, per line, the first country whose file is missing, in the order libxt_geoip reads them', async () => {
    const r = await check(host({ '/usr/share/xt_geoip/RU.iv4': Buffer.alloc(8) }), rules('ru,CN'));
    expect(r.geoip.problems.map((m) => [m.name, m.lines, m.problem])).toEqual([
      ['CN.iv4', [3, 4], 'missing'],
    ]);
    const errors = r.diagnostics.filter((d) => d.code === GEOIP_DATABASE_MISSING);
    expect(errors.map((d) => d.at.line)).toEqual([3, 4]);
    expect(errors[0]?.message).toContain(
      '"Could not open /usr/share/xt_geoip/CN.iv4: No such file or directory" / "Could not read geoip database"',
    );
    expect(r.ok).toBe(false);
  });

  it('reads CC.iv6 for ip6tables', async () => {
    const r = await check(host({ '/usr/share/xt_geoip/RU.iv4': Buffer.alloc(8) }), rules('RU'), 'ipv6');
    expect(r.geoip.problems.map((m) => [m.file, m.name, m.lines])).toEqual([
      ['/etc/iptables/rules.v6', 'RU.iv6', [3]],
      ['/etc/iptables/rules.v6', 'CN.iv6', [4]],
    ]);
  });

  it('says when no database was ever built', async () => {
    const r = await check(host({}), rules('RU'));
    expect(r.geoip.problems.map((m) => [m.name, m.problem])).toEqual([
      ['RU.iv4', 'no-directory'],
      ['CN.iv4', 'no-directory'],
    ]);
  });

  it('names a file that is not whole records, in the order libxt_geoip reads them (host and --root only)', async () => {
    // xt_geoip_build writes 8 bytes per IPv4 range and 32 per IPv6 range; an empty file (no range) is whole.
    const db = {
      '/usr/share/xt_geoip/RU.iv4': Buffer.alloc(7),
      '/usr/share/xt_geoip/CN.iv4': Buffer.alloc(0),
    };
    const r = await check(host(db), rules('CN,RU'));
    expect(r.geoip.problems.map((m) => [m.name, m.problem, m.size, m.lines])).toEqual([
      ['RU.iv4', 'corrupt', 7, [3]],
    ]);
    expect(r.diagnostics.find((d) => d.code === GEOIP_DATABASE_CORRUPT)?.message).toContain(
      '"Database file /usr/share/xt_geoip/RU.iv4 seems to be corrupted"',
    );
  });

  it('passes when every file is there', async () => {
    const db = {
      '/usr/share/xt_geoip/RU.iv4': Buffer.alloc(8),
      '/usr/share/xt_geoip/CN.iv4': Buffer.alloc(8),
    };
    const r = await check(host(db), rules('RU'));
    expect(r.geoip).toEqual({ reached: true, problems: [] });
    expect(r.ok).toBe(true);
  });

  it('does not look for a database where the match cannot load (iptables stops at "Couldn\'t load match")', async () => {
    for (const opts of [{ module: false }, { library: false }]) {
      const r = await check(host({}, opts), rules('RU'));
      expect(r.geoip).toEqual({ reached: false, problems: [] });
      expect(r.diagnostics.some((d) => d.code === GEOIP_DATABASE_MISSING)).toBe(false);
    }
  });

  it('cannot tell without a listing of the directory (a snapshot from an older collector)', async () => {
    const reader = host({});
    const blind: HostReader = {
      ...reader,
      listDir: (path) =>
        path === '/usr/share/xt_geoip'
          ? Promise.resolve({ path, status: 'not-collected', reason: 'not in the snapshot' })
          : reader.listDir(path),
    };
    const r = await check(blind, rules('RU'));
    expect(r.geoip).toEqual({
      reached: true,
      problems: [],
      undecided: '/usr/share/xt_geoip: not in the snapshot',
    });
  });

  it('reports a country list libxt_geoip refuses on any host, without one', async () => {
    const r = await checkRules({
      rules: [{ path: 'rules.v4', text: rules('CHN') }],
      ipsets: [],
      kernelReader: host({}),
      layout: hostKernelLayout(RELEASE, 'root', 'test host'),
      backend: { value: 'nft', why: 'test' },
    });
    expect(r.diagnostics.map((d) => [d.at.line, d.code, d.message])).toEqual([
      [3, 'rule-rejected', "geoip: invalid country code 'CHN'"],
    ]);
  });
});
