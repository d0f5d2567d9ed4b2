// Broken RHEL-family and Arch hosts, made of the packages' real files (src/testing/distro-hosts.ts): the
// scenarios issue 9 names for those loaders. Each is diagnosed end to end in distro-scenarios.test.ts and listed
// by scripts/diagnose-trees.mjs. Journals use the init script's own echo lines and iptables 1.8.9's messages as
// the nflab missing-xt-recent-notest capture logged them (the restore's process, line for line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostReader } from '../sources/host-reader.ts';
import { LAB_CAPTURES } from '../testing/lab-host.ts';
import {
  LAB_RULES,
  MODPROBE_BLOCK_RECENT,
  RHEL_FILES,
  archTree,
  distroHost,
  distroRoot,
  iptablesInitEcho,
  okFact,
  rhelConfig,
  rhelTree,
  showUnit,
} from '../testing/distro-hosts.ts';

/** What the lab's iptables-restore printed when the kernel refused -m recent (pid 210 of the notest capture). */
function labRestoreOutput(): string[] {
  const journal = readFileSync(join(LAB_CAPTURES, 'missing-xt-recent-notest/journal.relevant.txt'), 'utf8');
  return journal
    .split('\n')
    .filter((l) => l.includes(' netfilter-persistent[210]: '))
    .map((l) => l.slice(l.indexOf(']: ') + 3));
}

function stamp(i: number): string {
  return `Nov 23 11:03:50.${String(100000 + i)}`;
}

/** iptables.init start() failing: its "Applying firewall rules: " (no newline) runs into the restore's stderr. */
export function rhelFailedStartJournal(host = 'r8'): string {
  const applying = iptablesInitEcho(RHEL_FILES.init8, 'Applying firewall rules');
  const restore = labRestoreOutput();
  const lines = [
    `${stamp(0)} ${host} systemd[1]: Starting IPv4 firewall with iptables...`,
    ...restore.map((t, i) => `${stamp(i + 1)} ${host} iptables.init[612]: ${i === 0 ? applying : ''}${t}`),
    `${stamp(20)} ${host} iptables.init[612]: [FAILED]`,
    `${stamp(21)} ${host} systemd[1]: iptables.service: Main process exited, code=exited, status=1/FAILURE`,
    `${stamp(22)} ${host} systemd[1]: iptables.service: Failed with result 'exit-code'.`,
    `${stamp(23)} ${host} systemd[1]: Failed to start IPv4 firewall with iptables.`,
  ];
  return lines.join('\n');
}

/** Arch's iptables.service: iptables-restore is the main process and logs under its own name. */
export function archFailedStartJournal(): string {
  const restore = labRestoreOutput();
  return [
    `${stamp(0)} arch systemd[1]: Starting Packet Filtering Framework...`,
    ...restore.map((t, i) => `${stamp(i + 1)} arch iptables-restore[288]: ${t}`),
    `${stamp(21)} arch systemd[1]: iptables.service: Main process exited, code=exited, status=1/FAILURE`,
    `${stamp(22)} arch systemd[1]: iptables.service: Failed with result 'exit-code'.`,
    `${stamp(23)} arch systemd[1]: Failed to start Packet Filtering Framework.`,
  ].join('\n');
}

const EMPTY_LIVE = '';
const POLICIES_ONLY = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

const CENTOS7_OS =
  'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n';

export const DISTRO_SCENARIOS: Readonly<Record<string, () => HostReader>> = {
  // The rules need xt_recent, modprobe.d blocks it; the admin listed it in IPTABLES_MODULES, which
  // iptables.init loads only after a successful restore.
  'rhel8-blocked-module': () =>
    distroHost(
      rhelTree({
        enabled: ['iptables.service'],
        files: {
          '/etc/modprobe.d/no-xt-recent.conf': MODPROBE_BLOCK_RECENT,
          '/etc/sysconfig/iptables-config': rhelConfig({ IPTABLES_MODULES: 'xt_recent' }),
        },
      }),
      {
        lsmodFrom: 'missing-xt-recent',
        commands: {
          'journal.boot': okFact(rhelFailedStartJournal()),
          'systemctl.show.iptables': showUnit('iptables.service', 'failed', 'exit-code'),
          'systemctl.is-enabled.iptables': okFact('enabled\n'),
          'iptables-save.default': okFact(EMPTY_LIVE),
          'iptables-save.nft': okFact(EMPTY_LIVE),
          'rpm-q': okFact('iptables-1.8.4-22.el8.x86_64\niptables-services-1.8.4-22.el8.noarch\n'),
        },
      },
    ),
  // IPTABLES_SAVE_ON_STOP="yes" and someone flushed the rules before a reboot: shutdown saved the empty set.
  'rhel8-save-on-stop-emptied': () =>
    distroRoot(
      rhelTree({
        enabled: ['iptables.service'],
        files: {
          '/etc/sysconfig/iptables-config': rhelConfig({ IPTABLES_SAVE_ON_STOP: 'yes' }),
          '/etc/sysconfig/iptables': POLICIES_ONLY,
          // What save() copied aside before it wrote the flushed live ruleset.
          '/etc/sysconfig/iptables.save': LAB_RULES,
        },
      }),
    ),
  // `systemctl enable ip6tables` on a host that never saved IPv6 rules.
  'rhel8-ip6tables-without-file': () =>
    distroRoot(rhelTree({ enabled: ['iptables.service', 'ip6tables.service'] })),
  // iptables-services installed, rules saved, the unit never enabled (its preset is disabled).
  'rhel8-not-enabled': () => distroRoot(rhelTree()),
  // CentOS 7: rules saved, iptables-services not installed (no unit); the fix says yum.
  'centos7-not-installed': () =>
    distroRoot(
      rhelTree({
        files: { '/etc/os-release': CENTOS7_OS },
        drop: [
          '/usr/lib/systemd/system/iptables.service',
          '/usr/lib/systemd/system/ip6tables.service',
          '/usr/libexec/iptables',
        ],
      }),
    ),
  // CentOS 7's iptables.init unloads netfilter modules on restart; nf_conntrack_ftp only comes from modules-load.d.
  'centos7-restart-unloads-helper': () =>
    distroHost(
      rhelTree({
        enabled: ['iptables.service'],
        files: {
          '/etc/os-release': CENTOS7_OS,
          '/usr/libexec/iptables/iptables.init': RHEL_FILES.init7,
          '/etc/modules-load.d/ftp.conf': 'nf_conntrack_ftp\n',
        },
      }),
      {
        commands: {
          'systemctl.show.iptables': showUnit('iptables.service', 'active', 'success'),
          'systemctl.is-enabled.iptables': okFact('enabled\n'),
          'iptables-save.default': okFact(LAB_RULES),
          'iptables-save.nft': okFact(LAB_RULES),
          'rpm-q': okFact('iptables-1.4.21-35.el7.x86_64\niptables-services-1.4.21-35.el7.x86_64\n'),
        },
      },
    ),
  // Arch: rules saved in /etc/iptables/iptables.rules, iptables.service never enabled.
  'arch-not-enabled': () => distroRoot(archTree()),
  // Arch: enabled and working, but the stock unit is not ordered before the network.
  'arch-enabled': () => distroRoot(archTree({ enabled: ['iptables.service'] })),
  // Arch: the rules need xt_recent, modprobe.d blocks it; iptables-restore itself is the unit's process.
  'arch-blocked-module': () =>
    distroHost(
      archTree({
        enabled: ['iptables.service'],
        files: { '/etc/modprobe.d/no-xt-recent.conf': MODPROBE_BLOCK_RECENT },
      }),
      {
        lsmodFrom: 'missing-xt-recent',
        commands: {
          'journal.boot': okFact(archFailedStartJournal()),
          'systemctl.show.iptables': showUnit('iptables.service', 'failed', 'exit-code'),
          'systemctl.is-enabled.iptables': okFact('enabled\n'),
          'iptables-save.default': okFact(EMPTY_LIVE),
          'iptables-save.nft': okFact(EMPTY_LIVE),
        },
      },
    ),
};
