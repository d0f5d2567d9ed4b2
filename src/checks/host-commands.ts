// Commands to put in fixes, per distribution and loader, so that what nfdoctor prints is ready to paste.
import type { JournalEntry } from '../parsers/journal.ts';
import type { HostModel, LoaderId } from '../model/host-model.ts';
import type { Evidence } from '../findings/evidence.ts';

export type DistroFamily = 'debian' | 'ubuntu' | 'rhel' | 'arch' | 'alpine' | 'gentoo' | 'suse' | 'unknown';

export function distroFamily(model: HostModel): DistroFamily {
  const os = model.os;
  if (os === undefined) {
    return 'unknown';
  }
  const ids = [os.id ?? '', ...os.idLike];
  if (ids.includes('ubuntu')) {
    return 'ubuntu';
  }
  if (ids.includes('debian')) {
    return 'debian';
  }
  if (ids.some((i) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux'].includes(i))) {
    return 'rhel';
  }
  if (ids.includes('arch')) {
    return 'arch';
  }
  if (ids.includes('alpine')) {
    return 'alpine';
  }
  if (ids.includes('gentoo')) {
    return 'gentoo';
  }
  if (ids.some((i) => i.includes('suse'))) {
    return 'suse';
  }
  return 'unknown';
}

/** The firewall loader the saved rules belong to, best evidence first. */
export function primaryLoader(model: HostModel): LoaderId | undefined {
  return model.savedRules[0]?.loader;
}

export function loaderUnit(loader: LoaderId | undefined, family: 'ipv4' | 'ipv6' = 'ipv4'): string {
  switch (loader) {
    case 'netfilter-persistent':
    case undefined:
      return 'netfilter-persistent.service';
    case 'iptables-services':
    case 'arch-iptables':
    case 'sysv-iptables':
      // RHEL and Arch restore IPv6 rules with a unit of their own.
      return family === 'ipv6' ? 'ip6tables.service' : 'iptables.service';
    case 'openrc-iptables':
      // OpenRC has no units: its init script names the service (rc-service, rc-update take the base name).
      return family === 'ipv6' ? '/etc/init.d/ip6tables' : '/etc/init.d/iptables';
    case 'ufw':
      return 'ufw.service';
    case 'firewalld':
      return 'firewalld.service';
    case 'nftables':
      return 'nftables.service';
  }
}

/** The unit that restores a saved rules file at boot. */
export function loaderUnitFor(saved: {
  readonly loader: LoaderId;
  readonly family: 'ipv4' | 'ipv6';
}): string {
  return loaderUnit(saved.loader, saved.family);
}

/** The major number of os-release VERSION_ID ("9.4" -> 9), when there is one. */
export function osMajorVersion(model: HostModel): number | undefined {
  const m = /^(\d+)/.exec(model.os?.versionId ?? '');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * The RPM package manager to name: dnf on Fedora >= 22 (Fedora's Changes/ReplaceYumWithDNF) and on RHEL 8 and
 * its rebuilds (whose `yum` is DNF too), yum on RHEL/CentOS <= 7 and Amazon Linux 2, which have no dnf.
 */
export function rpmTool(model: HostModel): 'dnf' | 'yum' {
  const major = osMajorVersion(model);
  if (major === undefined) {
    return 'dnf';
  }
  const id = model.os?.id ?? '';
  if (id === 'fedora') {
    return major >= 22 ? 'dnf' : 'yum';
  }
  if (id === 'amzn') {
    return major >= 2022 ? 'dnf' : 'yum';
  }
  return major >= 8 ? 'dnf' : 'yum';
}

/**
 * The package that ships iptables.service / ip6tables.service on this RHEL-family host. EL9 and later
 * distribute them as iptables-nft-services (the iptables-services build belongs to EPEL's iptables-legacy
 * stack: puppetlabs/puppetlabs-firewall#1254 and #1296, RHEL bug 2343682); EL7, EL8 and Fedora as
 * iptables-services. An installed one (rpm -q) wins.
 */
export function iptablesServicesPackage(model: HostModel): string {
  for (const name of ['iptables-nft-services', 'iptables-services']) {
    if (rpmInstalled(model, name) !== undefined) {
      return name;
    }
  }
  const major = osMajorVersion(model);
  const fedora = model.os?.id === 'fedora';
  return !fedora && major !== undefined && major >= 9 && major < 2000
    ? 'iptables-nft-services'
    : 'iptables-services';
}

/** The installed version-release of an RPM package from `rpm -q` ("iptables-services-1.8.4-22.el8.noarch"). */
export function rpmInstalled(model: HostModel, name: string): string | undefined {
  const fact = model.commands.get('rpm-q');
  if (fact === undefined || (fact.status !== 'ok' && fact.status !== 'exit-nonzero')) {
    return undefined;
  }
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(
    `^${esc}-(\\d[^\\s-]*-[^\\s]+?)(?:\\.(?:noarch|x86_64|aarch64|i686|ppc64le|s390x))?$`,
    'm',
  ).exec(fact.stdout);
  return m?.[1];
}

/** Packages that carry the module tree of the running kernel `release`. */
export function kernelModulePackages(model: HostModel, release: string): string {
  switch (distroFamily(model)) {
    case 'ubuntu':
      return `sudo apt-get install linux-modules-${release} linux-modules-extra-${release}`;
    case 'debian':
      return `sudo apt-get install --reinstall linux-image-${release}`;
    case 'rhel':
      // RHEL 7's kernel package holds every module; RHEL 8+ split them into kernel-modules and
      // kernel-modules-extra, and on current releases xt_conntrack and xt_owner are in kernel-modules-extra
      // (Azure/WALinuxAgent#3510; leapp's el9toel10 FirewalldIptablesModules actor installs it for iptables
      // users, oamg/leapp-repository#1303).
      return rpmTool(model) === 'yum'
        ? `sudo yum reinstall kernel-${release}`
        : `sudo dnf install kernel-modules-${release} kernel-modules-extra-${release}`;
    case 'arch':
      return "sudo pacman -S linux   # then reboot: Arch keeps only the newest kernel's modules";
    case 'suse':
      return `sudo zypper install -f kernel-default`;
    case 'alpine':
      return 'sudo apk add linux-lts';
    case 'gentoo':
      return `sudo make -C /usr/src/linux modules_install   # Gentoo: or emerge the sys-kernel package of ${release} again`;
    case 'unknown':
      return `install the package that provides /lib/modules/${release} for this kernel`;
  }
}

/** Installs the headers DKMS builds an out-of-tree module against, for `release`. */
export function kernelHeadersPackage(model: HostModel, release: string): string {
  return distroFamily(model) === 'rhel'
    ? `sudo dnf install kernel-devel-${release}`
    : `sudo apt-get install linux-headers-${release}`;
}

const CONTAINER_VIRT = new Set([
  'lxc',
  'lxc-libvirt',
  'docker',
  'podman',
  'openvz',
  'systemd-nspawn',
  'rkt',
  'wsl',
  'proot',
  'pouch',
  'container-other',
]);

export function isContainer(model: HostModel): boolean {
  return model.virt !== undefined && CONTAINER_VIRT.has(model.virt);
}

/** Journal entries of this boot whose MESSAGE matches, as evidence (the journal source and its line). */
/** `s` as a literal inside a RegExp. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function journalEvidence(
  model: HostModel,
  pattern: RegExp | ((e: JournalEntry) => boolean),
  note?: string,
  limit = 3,
): Evidence[] {
  const wanted = typeof pattern === 'function' ? pattern : (e: JournalEntry) => pattern.test(e.message);
  return model.journal.entries
    .filter(wanted)
    .slice(0, limit)
    .map((e) => ({
      source: model.journal.source,
      line: e.line,
      text: `${e.syslogIdentifier ?? e.unit ?? ''}${e.pid === undefined ? '' : `[${e.pid}]`}: ${e.message}`,
      ...(note === undefined ? {} : { note }),
    }));
}

/** The package manager command that installs `pkgs` on this host's distribution. */
export function installCommand(
  model: HostModel,
  debPkgs: string,
  rpmPkgs: string,
  archPkgs = rpmPkgs,
): string {
  switch (distroFamily(model)) {
    case 'debian':
    case 'ubuntu':
      return `sudo apt-get install ${debPkgs}`;
    case 'rhel':
      return `sudo ${rpmTool(model)} install ${rpmPkgs}`;
    case 'arch':
      return `sudo pacman -S ${archPkgs}`;
    case 'suse':
      return `sudo zypper install ${rpmPkgs}`;
    case 'alpine':
      return `sudo apk add ${archPkgs}`;
    case 'gentoo':
      return `sudo emerge --noreplace ${archPkgs}`;
    case 'unknown':
      return `install ${debPkgs} (Debian/Ubuntu name) with your package manager`;
  }
}

/** Whether the model has the output of `id` (ok, or a non-zero exit that still printed). */
export function commandOutput(model: HostModel, id: string): string | undefined {
  const fact = model.commands.get(id);
  return fact !== undefined && (fact.status === 'ok' || fact.status === 'exit-nonzero')
    ? fact.stdout + fact.stderr
    : undefined;
}

/**
 * The systemd release (the major number, e.g. 252) from the package database: dpkg's "252.39-1~deb12u2" or
 * rpm's "systemd-252-18.el9.x86_64". undefined when neither was collected.
 */
export function systemdVersion(model: HostModel): { major: number; source: string } | undefined {
  const deb = model.packages.get('systemd');
  const debMajor = deb === undefined ? undefined : /^(?:\d+:)?(\d+)/.exec(deb)?.[1];
  if (deb !== undefined && debMajor !== undefined) {
    return { major: Number(debMajor), source: `dpkg-query: systemd ${deb}` };
  }
  const rpm = model.commands.get('rpm-q');
  const rpmLine = rpm?.stdout.split('\n').find((l) => /^systemd-\d/.test(l.trim()));
  const rpmMajor = rpmLine === undefined ? undefined : /^systemd-(\d+)/.exec(rpmLine.trim())?.[1];
  if (rpmLine !== undefined && rpmMajor !== undefined) {
    return { major: Number(rpmMajor), source: `rpm -q: ${rpmLine.trim()}` };
  }
  return undefined;
}

export { compareKernelReleases } from '../resolve/kernel-release.ts';

/**
 * iptables.init and its IPv6 twin (the spec's sed: iptables -> ip6tables, IPTABLES -> IP6TABLES): the file each
 * restores and saves, its config file and the prefix of the settings in it.
 */
export interface InitFlavour {
  readonly tool: 'iptables' | 'ip6tables';
  readonly prefix: 'IPTABLES' | 'IP6TABLES';
  readonly data: string;
  readonly config: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly vars: HostModel['sysconfigIptables'];
}

export function iptablesInitFlavour(model: HostModel, unit: string): InitFlavour | undefined {
  if (unit === 'iptables.service') {
    return {
      tool: 'iptables',
      prefix: 'IPTABLES',
      data: '/etc/sysconfig/iptables',
      config: '/etc/sysconfig/iptables-config',
      family: 'ipv4',
      vars: model.sysconfigIptables,
    };
  }
  if (unit === 'ip6tables.service') {
    return {
      tool: 'ip6tables',
      prefix: 'IP6TABLES',
      data: '/etc/sysconfig/ip6tables',
      config: '/etc/sysconfig/ip6tables-config',
      family: 'ipv6',
      vars: model.sysconfigIp6tables,
    };
  }
  return undefined;
}
