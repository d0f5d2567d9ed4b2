// loaderRun on the packages' real unit files (src/parsers/__samples__/*/SOURCES.md), then on drop-ins and
// hand-written units built around them.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveUnit } from '../../model/units.ts';
import { loaderRun } from './loader-unit.ts';
import { ARCH_FILES, RHEL_FILES, specSed } from '../../testing/distro-hosts.ts';

const DEBIAN_NP = readFileSync(
  join(import.meta.dirname, '../../parsers/__samples__/systemd/netfilter-persistent.service'),
  'utf8',
);

function unit(name: string, text: string, dropIns: { path: string; text: string }[] = []) {
  return resolveUnit(name, { fragments: [{ path: `/usr/lib/systemd/system/${name}`, text }], dropIns });
}

describe('loaderRun on the real units', () => {
  it("RHEL's iptables.service runs iptables.init, which restores /etc/sysconfig/iptables, before the network", () => {
    const r = loaderRun(unit('iptables.service', RHEL_FILES.service));
    expect(r.kind).toBe('iptables-init');
    expect(r.restores).toEqual([{ path: '/etc/sysconfig/iptables', family: 'ipv4' }]);
    expect(r.execStart).toEqual({
      value: '/usr/libexec/iptables/iptables.init start',
      at: { file: '/usr/lib/systemd/system/iptables.service', line: 10 },
    });
    expect(r.beforeNetworkPre?.line).toBe(4);
    expect(r.pathChecks).toEqual([
      {
        kind: 'assert',
        path: '/etc/sysconfig/iptables',
        at: { file: '/usr/lib/systemd/system/iptables.service', line: 3 },
      },
    ]);
  });

  it("the spec's sed makes ip6tables.service restore /etc/sysconfig/ip6tables with ip6tables.init", () => {
    const text = specSed('ip6tables.service', RHEL_FILES.service);
    expect(text).toContain('ExecStart=/usr/libexec/iptables/ip6tables.init start');
    expect(text).toContain('Description=IPv6 firewall with ip6tables');
    const r = loaderRun(unit('ip6tables.service', text));
    expect(r.restores).toEqual([{ path: '/etc/sysconfig/ip6tables', family: 'ipv6' }]);
    expect(r.pathChecks.map((p) => p.path)).toEqual(['/etc/sysconfig/ip6tables']);
  });

  it("Arch's units run iptables-restore on the file itself and have no network ordering", () => {
    const v4 = loaderRun(unit('iptables.service', ARCH_FILES.iptablesService));
    expect(v4.kind).toBe('iptables-restore');
    expect(v4.restores).toEqual([{ path: '/etc/iptables/iptables.rules', family: 'ipv4' }]);
    expect(v4.beforeNetworkPre).toBeUndefined();
    expect(v4.pathChecks).toEqual([]);
    const v6 = loaderRun(unit('ip6tables.service', ARCH_FILES.ip6tablesService));
    expect(v6.restores).toEqual([{ path: '/etc/iptables/ip6tables.rules', family: 'ipv6' }]);
  });

  it("Debian's netfilter-persistent restores rules.v4 and rules.v6 before the network", () => {
    const r = loaderRun(unit('netfilter-persistent.service', DEBIAN_NP));
    expect(r.kind).toBe('netfilter-persistent');
    expect(r.restores.map((x) => x.path)).toEqual(['/etc/iptables/rules.v4', '/etc/iptables/rules.v6']);
    expect(r.beforeNetworkPre).toBeDefined();
  });
});

describe('loaderRun follows what the admin changed', () => {
  it('a drop-in that resets ExecStart= and restores another file wins', () => {
    const u = unit('iptables.service', ARCH_FILES.iptablesService, [
      {
        path: '/etc/systemd/system/iptables.service.d/site.conf',
        text: '[Service]\nExecStart=\nExecStart=/usr/bin/iptables-restore --wait 10 /etc/iptables/site.rules\n',
      },
    ]);
    const r = loaderRun(u);
    expect(r.restores).toEqual([{ path: '/etc/iptables/site.rules', family: 'ipv4' }]);
    expect(r.execStart?.at.file).toBe('/etc/systemd/system/iptables.service.d/site.conf');
  });

  it('reads sh -c "iptables-restore < FILE" and xtables-legacy-multi', () => {
    const sh = unit(
      'fw.service',
      '[Service]\nExecStart=/bin/sh -c "/sbin/iptables-restore < /etc/iptables.conf"\n',
    );
    expect(loaderRun(sh).restores).toEqual([{ path: '/etc/iptables.conf', family: 'ipv4' }]);
    const multi = unit(
      'fw6.service',
      '[Service]\nExecStart=/usr/sbin/xtables-legacy-multi ip6tables-restore -n /etc/fw6\n',
    );
    expect(loaderRun(multi).restores).toEqual([{ path: '/etc/fw6', family: 'ipv6' }]);
  });

  it('a script it cannot read is "other", with nothing restored', () => {
    const r = loaderRun(unit('fw.service', '[Service]\nExecStart=/usr/local/sbin/firewall.sh start\n'));
    expect(r.kind).toBe('other');
    expect(r.restores).toEqual([]);
  });

  it('never throws on any ExecStart= value', () => {
    fc.assert(
      fc.property(fc.string(), (v) => {
        loaderRun(unit('x.service', `[Service]\nExecStart=${v.replace(/\n/g, ' ')}\n`));
      }),
    );
  });
});
