// RHEL-family and Arch hosts for tests, built from the real files of the packages (src/parsers/__samples__/
// iptables-services and arch-iptables, SOURCES.md there), real rules from the nflab captures and the real
// Debian 6.1 cloud kernel metadata of fixtures/kernels: what differs between distributions for the firewall
// loader is the unit, its script and its config, and those are the packages' own. The kernel is Debian's (no
// RHEL or Arch kernel metadata is committed); os-release and the journal are written here, the journal from the
// script's own echo lines (iptablesInitEcho) and iptables 1.8.9's messages as the lab captured them.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { memoryReader } from './memory-reader.ts';
import { kernelFiles } from './kernel-fixture.ts';
import { LAB_CAPTURES, lsmodToProcModules } from './lab-host.ts';
import type { CommandFact, HostReader } from '../sources/host-reader.ts';

const SAMPLES = join(import.meta.dirname, '../parsers/__samples__');
const sample = (p: string): string => readFileSync(join(SAMPLES, p), 'utf8');

export const RHEL_FILES = {
  init7: sample('iptables-services/iptables.init.rhel7'),
  init8: sample('iptables-services/iptables.init.rhel8'),
  service: sample('iptables-services/iptables.service'),
  specInstall: sample('iptables-services/iptables.spec.install'),
  config: sample('iptables-services/iptables-config'),
};

/**
 * The package's iptables-config with IPTABLES_MODULES emptied (RHEL 8's default; the Fedora-era copy names
 * ip_conntrack, which current kernels no longer have) and the given settings changed, e.g.
 * { IPTABLES_SAVE_ON_STOP: 'yes' }.
 */
export function rhelConfig(edit: Readonly<Record<string, string>> = {}): string {
  let text = RHEL_FILES.config.replace(/^IPTABLES_MODULES=".*"$/m, 'IPTABLES_MODULES=""');
  for (const [k, v] of Object.entries(edit)) {
    text = text.replace(new RegExp(`^${k}=".*"$`, 'm'), `${k}="${v}"`);
  }
  return text;
}

export const ARCH_FILES = {
  iptablesService: sample('arch-iptables/iptables.service'),
  ip6tablesService: sample('arch-iptables/ip6tables.service'),
};

/**
 * What the spec's `sed -e 's;A;B;g' ... < %{SOURCEn} > TARGET` line for TARGET makes of `text`
 * (iptables.spec.install): each expression replaces every occurrence, in order, as sed does per line.
 */
export function specSed(target: string, text: string): string {
  const line = RHEL_FILES.specInstall
    .split('\n')
    .find((l) => l.startsWith('sed ') && l.endsWith(`> ${target}`));
  if (line === undefined) {
    throw new Error(`the spec derives no ${target}`);
  }
  let out = text;
  for (const m of line.matchAll(/-e 's;([^;]*);([^;]*);g'/g)) {
    out = out.replaceAll(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

/** The text of the `echo -n $"..."` line of iptables.init that contains `what`, for `tool` (iptables/ip6tables). */
export function iptablesInitEcho(script: string, what: string, tool = 'iptables'): string {
  const line = script.split('\n').find((l) => /echo -n \$"/.test(l) && l.includes(what));
  const m = /echo -n \$"(.*?)"/.exec(line ?? '');
  if (m?.[1] === undefined) {
    throw new Error(`no echo of ${what} in iptables.init`);
  }
  return m[1].replaceAll('${IPTABLES}', tool);
}

export const RELEASE = '6.1.0-56-cloud-amd64';
// systemd's own units as systemd ships them (src/parsers/__samples__/systemd, from Debian's systemd 252: the
// upstream files, the same on every distribution of that release).
const SYSTEMD_UNITS = {
  '/usr/lib/systemd/system/systemd-modules-load.service': sample('systemd/systemd-modules-load.service'),
  '/usr/lib/systemd/system/systemd-sysctl.service': sample('systemd/systemd-sysctl.service'),
};
/** The lab VM's saved IPv4 rules (conntrack, recent, multiport; no ipset): 6 rules, line 7 and 8 use -m recent. */
export const LAB_RULES = readFileSync(
  join(LAB_CAPTURES, 'missing-xt-recent/files/etc/iptables/rules.v4'),
  'utf8',
);
/** The lab's `install xt_recent /bin/false` (modprobe.d) that blocks the module. */
export const MODPROBE_BLOCK_RECENT = readFileSync(
  join(LAB_CAPTURES, 'missing-xt-recent/files/etc/modprobe.d/nflab-no-xt-recent.conf'),
  'utf8',
);

export interface DistroHostOptions {
  readonly files?: Readonly<Record<string, string>>;
  readonly drop?: readonly string[];
  /** Units linked into multi-user.target.wants (what `systemctl enable` does for WantedBy=multi-user.target). */
  readonly enabled?: readonly string[];
  readonly links?: Readonly<Record<string, string>>;
  /** The nflab capture whose lsmod is /proc/modules (default healthy: xt_recent loaded). */
  readonly lsmodFrom?: string;
  /** Command facts; a host without commands is a mounted disk (kind 'root'). */
  readonly commands?: Readonly<Record<string, Partial<CommandFact>>>;
}

export interface DistroTree {
  readonly files: Record<string, string | Buffer>;
  readonly links: Record<string, string>;
}

function ok(stdout: string): Partial<CommandFact> {
  return { status: 'ok', stdout, stderr: '', exitCode: 0 };
}

function tree(base: Record<string, string | Buffer>, o: DistroHostOptions): DistroTree {
  const files: Record<string, string | Buffer> = { ...base, ...kernelFiles(RELEASE), ...(o.files ?? {}) };
  const dropped = (p: string): boolean => (o.drop ?? []).some((d) => p === d || p.startsWith(`${d}/`));
  // Every installed system has /etc/systemd/system with some enabled unit; ssh is the one a server has.
  const links: Record<string, string> = {
    '/etc/systemd/system/multi-user.target.wants/sshd.service': '/usr/lib/systemd/system/sshd.service',
    ...(o.links ?? {}),
  };
  for (const u of o.enabled ?? []) {
    links[`/etc/systemd/system/multi-user.target.wants/${u}`] = `/usr/lib/systemd/system/${u}`;
  }
  return { files: Object.fromEntries(Object.entries(files).filter(([p]) => !dropped(p))), links };
}

/** A Rocky Linux 8 host with iptables-services 1.8.4 (RHEL 8's files): rules in /etc/sysconfig/iptables. */
export function rhelTree(o: DistroHostOptions = {}): DistroTree {
  return tree(
    {
      '/etc/os-release':
        'NAME="Rocky Linux"\nVERSION="8.10 (Green Obsidian)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\nPRETTY_NAME="Rocky Linux 8.10 (Green Obsidian)"\n',
      '/usr/lib/systemd/system/iptables.service': RHEL_FILES.service,
      '/usr/lib/systemd/system/ip6tables.service': specSed('ip6tables.service', RHEL_FILES.service),
      '/usr/libexec/iptables/iptables.init': RHEL_FILES.init8,
      '/usr/libexec/iptables/ip6tables.init': specSed('ip6tables.init', RHEL_FILES.init8),
      '/etc/sysconfig/iptables-config': rhelConfig(),
      '/etc/sysconfig/ip6tables-config': specSed('ip6tables-config', rhelConfig()),
      '/etc/sysconfig/iptables': LAB_RULES,
      ...SYSTEMD_UNITS,
      '/run/systemd/system/.keep': '',
    },
    o,
  );
}

/** An Arch Linux host with the iptables package's units: rules in /etc/iptables/iptables.rules. */
export function archTree(o: DistroHostOptions = {}): DistroTree {
  return tree(
    {
      '/etc/os-release':
        'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\nANSI_COLOR="38;2;23;147;209"\n',
      '/usr/lib/systemd/system/iptables.service': ARCH_FILES.iptablesService,
      '/usr/lib/systemd/system/ip6tables.service': ARCH_FILES.ip6tablesService,
      '/etc/iptables/iptables.rules': LAB_RULES,
      ...SYSTEMD_UNITS,
      '/run/systemd/system/.keep': '',
    },
    o,
  );
}

/** The running-host facts every live snapshot has (uname, loaded modules from the lab's healthy boot). */
function liveCommands(o: DistroHostOptions): Record<string, Partial<CommandFact>> {
  return {
    'uname-r': ok(`${RELEASE}\n`),
    'systemd-detect-virt': ok('kvm\n'),
    'iptables-version': ok('iptables v1.8.9 (nf_tables)\n'),
    ...(o.commands ?? {}),
  };
}

/** A snapshot-like host (commands available): a running system. */
export function distroHost(t: DistroTree, o: DistroHostOptions = {}): HostReader {
  const lsmod = readFileSync(join(LAB_CAPTURES, o.lsmodFrom ?? 'healthy', 'lsmod.txt'), 'utf8');
  return memoryReader({
    files: {
      ...t.files,
      '/proc/modules': lsmodToProcModules(lsmod),
      '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz root=/dev/vda\n',
    },
    links: t.links,
    commands: liveCommands(o),
    kind: 'snapshot',
  });
}

/** The same tree as a mounted disk (`--root`): no commands, enablement from the links. */
export function distroRoot(t: DistroTree): HostReader {
  return memoryReader({ files: t.files, links: t.links, kind: 'root' });
}

/** Writes the tree under `dir` (for the CLI's --root). */
export function writeTree(t: DistroTree, dir: string): string {
  for (const [p, content] of Object.entries(t.files)) {
    const at = join(dir, p);
    mkdirSync(dirname(at), { recursive: true });
    writeFileSync(at, content);
  }
  for (const [p, target] of Object.entries(t.links)) {
    const at = join(dir, p);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(target, at);
  }
  return dir;
}

/** `systemctl show` properties of a oneshot loader unit, as systemd 239+ prints them. */
export function showUnit(
  unit: string,
  active: string,
  result: string,
  fragment = `/usr/lib/systemd/system/${unit}`,
): Partial<CommandFact> {
  return ok(
    [
      `Id=${unit}`,
      `Names=${unit}`,
      'LoadState=loaded',
      `ActiveState=${active}`,
      `SubState=${active === 'active' ? 'exited' : active === 'failed' ? 'failed' : 'dead'}`,
      `Result=${result}`,
      `FragmentPath=${fragment}`,
      '',
    ].join('\n'),
  );
}

export const okFact = ok;
