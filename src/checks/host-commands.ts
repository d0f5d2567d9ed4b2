// Commands to put in fixes, per distribution and loader, so that what nfdoctor prints is ready to paste.
import type { HostModel, LoaderId } from '../model/host-model.ts';
import type { Evidence } from '../findings/evidence.ts';

export type DistroFamily = 'debian' | 'ubuntu' | 'rhel' | 'arch' | 'alpine' | 'suse' | 'unknown';

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

/** Packages that carry the module tree of the running kernel `release`. */
export function kernelModulePackages(model: HostModel, release: string): string {
  switch (distroFamily(model)) {
    case 'ubuntu':
      return `sudo apt-get install linux-modules-${release} linux-modules-extra-${release}`;
    case 'debian':
      return `sudo apt-get install --reinstall linux-image-${release}`;
    case 'rhel':
      return `sudo dnf install kernel-modules-${release} kernel-modules-extra-${release}`;
    case 'arch':
      return "sudo pacman -S linux   # then reboot: Arch keeps only the newest kernel's modules";
    case 'suse':
      return `sudo zypper install -f kernel-default`;
    case 'alpine':
      return 'sudo apk add linux-lts';
    case 'unknown':
      return `install the package that provides /lib/modules/${release} for this kernel`;
  }
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
export function journalEvidence(model: HostModel, pattern: RegExp, note?: string, limit = 3): Evidence[] {
  return model.journal.entries
    .filter((e) => pattern.test(e.message))
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
      return `sudo dnf install ${rpmPkgs}`;
    case 'arch':
      return `sudo pacman -S ${archPkgs}`;
    case 'suse':
      return `sudo zypper install ${rpmPkgs}`;
    case 'alpine':
      return `sudo apk add ${archPkgs}`;
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

/**
 * Orders kernel releases by their numeric parts ("6.1.0-56-cloud-amd64" > "6.1.0-9-cloud-amd64"), the way
 * GRUB's and dpkg's version sorting put the newest kernel first for release strings of one flavour.
 */
export function compareKernelReleases(a: string, b: string): number {
  const nums = (s: string): number[] => (s.match(/\d+/g) ?? []).map(Number);
  const x = nums(a);
  const y = nums(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) {
      return d;
    }
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
