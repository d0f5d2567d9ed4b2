// Every fact nfdoctor may read from a host, as data. The live reader, the --root reader, the snapshot
// reader and the shell collector (collector/nfdoctor-collect.sh, whose fact table is rendered from this
// file by scripts/gen-collector-module.mjs) all work from this one list; registry.test.ts keeps them equal.
//
// Paths are absolute paths on the target host. `{release}` stands for a kernel release: the running one
// on a live host and every directory under /lib/modules (the kernels a reboot may start). `{unit}` stands for
// each *.service in /etc/systemd/system (the units an administrator wrote). Glob patterns match names inside one
// directory and use only `*` and `?` (sh `case` patterns), so the shell and TypeScript agree on them.

import { XTABLES_DIR_CANDIDATES } from '../knowledge/extensions.ts';

/** Conditions that must hold before a command may run; each keeps collection free of side effects. */
export type Precondition =
  /** systemd is PID 1 (sd_booted(3): /run/systemd/system is a directory); systemctl needs it. */
  | 'systemd'
  /** nf_tables is loaded or built in, or the kernel cannot load modules: nothing gets autoloaded. */
  | 'nf_tables'
  /** ip_set is loaded or built in, or the kernel cannot load modules. */
  | 'ip_set'
  /** /proc/net/ip_tables_names exists: legacy ip_tables is active, iptables-legacy-save loads nothing. */
  | 'ip_tables'
  /** /proc/net/ip6_tables_names exists. */
  | 'ip6_tables'
  /** `iptables` is the legacy variant, or the nft variant and `nf_tables` holds (nft_init opens nfnetlink). */
  | 'iptables-variant'
  /** The `iptables` variant's backend is safe to read: `nf_tables` for nft, `ip_tables` for legacy. */
  | 'iptables-backend'
  /** Same as iptables-backend for `ip6tables` (nft: `nf_tables`, legacy: `ip6_tables`). */
  | 'ip6tables-backend';

interface FactBase {
  readonly id: string;
  /** Why nfdoctor needs this fact. */
  readonly why: string;
}

export interface FileSpec extends FactBase {
  readonly kind: 'file';
  readonly paths: readonly string[];
}

/** Every regular file in `dirs` whose name matches `pattern`; the directories themselves are listed too. */
export interface GlobSpec extends FactBase {
  readonly kind: 'glob';
  readonly dirs: readonly string[];
  readonly pattern: string;
}

/** A directory listing: names, types and symlink targets (masked units, enablement, ordering). */
export interface DirSpec extends FactBase {
  readonly kind: 'dir';
  readonly paths: readonly string[];
}

export interface CommandSpec extends FactBase {
  readonly kind: 'command';
  readonly argv: readonly string[];
  readonly precondition?: Precondition;
  readonly timeoutMs: number;
}

export type FactSpec = FileSpec | GlobSpec | DirSpec | CommandSpec;

/** Units whose files, drop-ins, state and journal nfdoctor reads. */
export const RELEVANT_UNITS = [
  'netfilter-persistent.service',
  'iptables.service',
  'ip6tables.service',
  'ipset.service',
  'nftables.service',
  'firewalld.service',
  'ufw.service',
  'systemd-modules-load.service',
  'systemd-sysctl.service',
] as const;

/** systemd.unit(5) system unit search path, highest priority first (generators left out). */
export const UNIT_DIRS = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
] as const;

/** modules-load.d(5) search order. */
export const MODULES_LOAD_DIRS = [
  '/etc/modules-load.d',
  '/run/modules-load.d',
  '/usr/local/lib/modules-load.d',
  '/usr/lib/modules-load.d',
  '/lib/modules-load.d',
] as const;

/** modprobe.d(5) search order (kmod). */
export const MODPROBE_DIRS = [
  '/etc/modprobe.d',
  '/run/modprobe.d',
  '/usr/local/lib/modprobe.d',
  '/usr/lib/modprobe.d',
  '/lib/modprobe.d',
] as const;

/** sysctl.d(5) search order. */
export const SYSCTL_DIRS = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
] as const;

/** Packages whose installed versions matter (names passed to dpkg-query / rpm -q). */
export const DEB_PACKAGES = [
  'iptables',
  'netfilter-persistent',
  'iptables-persistent',
  'ipset',
  'ipset-persistent',
  'nftables',
  'kmod',
  'systemd',
  'firewalld',
  'ufw',
  'xtables-addons-common',
  'linux-image-*',
] as const;

export const RPM_PACKAGES = [
  'iptables',
  'iptables-legacy',
  'iptables-nft',
  'iptables-services',
  'iptables-nft-services',
  'ipset',
  'ipset-service',
  'nftables',
  'kmod',
  'systemd',
  'firewalld',
  'kernel',
  'kernel-core',
] as const;

const SEC = 1000;

/** depmod(8) text indexes; the .bin twins hold the same data and would only make snapshots bigger. */
export const MODULE_INDEXES = [
  'modules.dep',
  'modules.alias',
  'modules.softdep',
  'modules.weakdep',
  'modules.builtin',
  'modules.builtin.modinfo',
] as const;

/** A unit name without the ".service" suffix, for ids. */
function short(unit: string): string {
  return unit.replace(/\.service$/, '');
}

/** Processes whose messages matter even when the journal could not attribute them to a unit. */
const JOURNAL_IDENTIFIERS = [
  'systemd-modules-load',
  'systemd-sysctl',
  'netfilter-persistent',
  'iptables.init',
  'iptables',
  'ip6tables',
  'iptables-restore',
  'ip6tables-restore',
  'ipset',
  'firewalld',
  'ufw',
  'audit',
] as const;

function journalMatches(): string[] {
  const m: string[] = [];
  for (const u of RELEVANT_UNITS) {
    m.push(`_SYSTEMD_UNIT=${u}`, '+', `UNIT=${u}`, '+');
  }
  // A short-lived early process is often logged before journald can read its cgroup: the lab's
  // modules-load-fails boot has "Failed to insert module 'xt_recent'" with SYSLOG_IDENTIFIER=
  // systemd-modules-load and no _SYSTEMD_UNIT, so the tools are matched by identifier too.
  for (const ident of JOURNAL_IDENTIFIERS) {
    m.push(`SYSLOG_IDENTIFIER=${ident}`, '+');
  }
  // Early-boot messages of PID 1 and of the units reach the journal through kmsg, without UNIT= fields
  // (the lab's modules-load-fails-requires capture), so the kernel transport is always included; SELinux
  // AVCs come with the audit transport when auditd is not running.
  m.push('_TRANSPORT=kernel', '+', '_TRANSPORT=audit');
  return m;
}

const unitFacts: FactSpec[] = RELEVANT_UNITS.flatMap((u): FactSpec[] => [
  {
    id: `unit.${short(u)}`,
    kind: 'file',
    paths: UNIT_DIRS.map((d) => `${d}/${u}`),
    why: `Unit file of ${u} in every directory of the unit search path (a symlink to /dev/null = masked).`,
  },
  {
    id: `unit-dropins.${short(u)}`,
    kind: 'glob',
    dirs: UNIT_DIRS.map((d) => `${d}/${u}.d`),
    pattern: '*.conf',
    why: `Drop-ins of ${u}: they change dependencies (Requires=) and ExecStart.`,
  },
]);

const unitCommands: FactSpec[] = RELEVANT_UNITS.flatMap((u): FactSpec[] => [
  {
    id: `systemctl.show.${short(u)}`,
    kind: 'command',
    argv: ['systemctl', 'show', u, '--no-pager'],
    precondition: 'systemd',
    timeoutMs: 10 * SEC,
    why: `State, result, exit status and effective dependencies of ${u}.`,
  },
  {
    id: `systemctl.status.${short(u)}`,
    kind: 'command',
    argv: ['systemctl', 'status', u, '--no-pager', '--full', '--lines=50'],
    precondition: 'systemd',
    timeoutMs: 10 * SEC,
    why: `Human view of ${u} with its drop-ins and last log lines (evidence for the report).`,
  },
  {
    id: `systemctl.is-enabled.${short(u)}`,
    kind: 'command',
    argv: ['systemctl', 'is-enabled', u],
    precondition: 'systemd',
    timeoutMs: 10 * SEC,
    why: `Whether ${u} starts at boot (enabled, masked, static ...).`,
  },
]);

export const FACTS: readonly FactSpec[] = [
  // --- distribution and kernel
  {
    id: 'os-release',
    kind: 'file',
    paths: ['/etc/os-release', '/usr/lib/os-release'],
    why: 'Distribution and version (os-release(5); /etc/os-release is often a symlink to /usr/lib).',
  },
  {
    id: 'hostname',
    kind: 'file',
    paths: ['/etc/hostname'],
    why: 'Which host a --root tree or snapshot belongs to.',
  },
  {
    id: 'distro-release',
    kind: 'file',
    paths: ['/etc/debian_version', '/etc/redhat-release', '/etc/alpine-release', '/etc/arch-release'],
    why: 'Distribution point release where os-release is too coarse.',
  },
  {
    id: 'boot',
    kind: 'glob',
    dirs: ['/boot'],
    pattern: 'config-*',
    why: 'Kernel build configuration (CONFIG_MODULES, CONFIG_NF_TABLES=y|m ...) of installed kernels.',
  },
  {
    id: 'lib-modules',
    kind: 'dir',
    paths: ['/lib/modules', '/usr/lib/modules'],
    why: 'Which kernel releases have a module tree (a provider kernel often has none).',
  },
  {
    id: 'modules-index',
    kind: 'file',
    paths: ['/lib/modules/{release}', '/usr/lib/modules/{release}'].flatMap((d) =>
      MODULE_INDEXES.map((f) => `${d}/${f}`),
    ),
    why: 'Text indexes of the kernel (modinfo/depmod output): what it can provide. Never .ko, never .bin.',
  },
  {
    id: 'modules-tree',
    kind: 'dir',
    paths: ['/lib/modules/{release}', '/usr/lib/modules/{release}'],
    why: 'Which indexes and module directories the kernel release has.',
  },
  {
    id: 'proc',
    kind: 'file',
    paths: [
      '/proc/modules',
      '/proc/cmdline',
      '/proc/version',
      '/proc/config.gz',
      '/proc/1/comm',
      '/proc/sys/kernel/modules_disabled',
      '/proc/sys/kernel/modprobe',
      '/proc/sys/kernel/tainted',
      '/proc/net/ip_tables_names',
      '/proc/net/ip_tables_matches',
      '/proc/net/ip_tables_targets',
      '/proc/net/ip6_tables_names',
      '/proc/net/ip6_tables_matches',
      '/proc/net/ip6_tables_targets',
    ],
    why: 'Running kernel: loaded modules, module policy, init process, active legacy xtables.',
  },
  {
    id: 'proc-dirs',
    kind: 'dir',
    paths: ['/proc/net/netfilter', '/sys/module', '/run/systemd/system'],
    why: 'Built-in or loaded modules (/sys/module), netfilter core presence, whether systemd is PID 1.',
  },
  // --- saved rulesets, every supported layout
  {
    id: 'rules.debian',
    kind: 'file',
    paths: ['/etc/iptables/rules.v4', '/etc/iptables/rules.v6', '/etc/iptables/ipsets'],
    why: 'Rules and sets restored at boot by netfilter-persistent / ipset-persistent (Debian, Ubuntu).',
  },
  {
    id: 'rules.arch',
    kind: 'file',
    paths: ['/etc/iptables/iptables.rules', '/etc/iptables/ip6tables.rules'],
    why: 'Rules restored by iptables.service / ip6tables.service on Arch.',
  },
  {
    id: 'ipset.conf',
    kind: 'file',
    paths: ['/etc/ipset.conf'],
    why: 'The sets file hand-written ipset restore units use most (read when a unit in /etc/systemd/system restores it; also Arch ipset.service).',
  },
  {
    id: 'rules.alpine',
    kind: 'file',
    paths: ['/etc/iptables/rules-save', '/etc/iptables/rules6-save'],
    why: 'Rules restored by the OpenRC iptables service on Alpine.',
  },
  {
    id: 'rules.gentoo',
    kind: 'file',
    paths: ['/var/lib/iptables/rules-save', '/var/lib/ip6tables/rules-save'],
    why: 'Rules restored by the OpenRC iptables service on Gentoo.',
  },
  {
    id: 'rules.sysconfig',
    kind: 'file',
    paths: [
      '/etc/sysconfig/iptables',
      '/etc/sysconfig/ip6tables',
      '/etc/sysconfig/iptables-config',
      '/etc/sysconfig/ip6tables-config',
      '/etc/sysconfig/ipset',
      '/etc/sysconfig/ipset-config',
      // iptables.init's save() keeps the file it replaces here (src/parsers/__samples__/iptables-services).
      '/etc/sysconfig/iptables.save',
      '/etc/sysconfig/ip6tables.save',
    ],
    why: 'Rules, sets and service options of iptables-services / ipset-service (RHEL, Fedora, SUSE), and the copy iptables.init keeps of the rules a save replaced.',
  },
  {
    id: 'rules-dir',
    kind: 'dir',
    paths: ['/etc/iptables'],
    why: 'Which rules files exist (e.g. a rules.v4 saved under another name).',
  },
  {
    id: 'xtables-dirs',
    kind: 'dir',
    paths: XTABLES_DIR_CANDIDATES,
    why: 'The libxt_*/libipt_* extension libraries iptables loads for -m/-j (a missing one fails the restore).',
  },
  {
    id: 'geoip-database',
    kind: 'dir',
    paths: ['/usr/share/xt_geoip'],
    why: 'The country files (CC.iv4, CC.iv6) that -m geoip reads while the rules are parsed (a missing one fails the restore).',
  },
  // --- boot machinery for the rules
  {
    id: 'netfilter-persistent',
    kind: 'file',
    paths: [
      '/etc/default/netfilter-persistent',
      '/usr/sbin/netfilter-persistent',
      '/etc/init.d/netfilter-persistent',
    ],
    why: 'netfilter-persistent options (IPTABLES_TEST_RULESET ...) and the script that runs the plugins.',
  },
  {
    id: 'netfilter-persistent-plugins',
    kind: 'glob',
    dirs: ['/usr/share/netfilter-persistent/plugins.d'],
    pattern: '*',
    why: 'The plugins run-parts runs at boot (15-ip4tables, 25-ip6tables, 10-ipset ...).',
  },
  {
    id: 'init-scripts',
    kind: 'file',
    paths: [
      '/etc/init.d/iptables',
      '/etc/init.d/ip6tables',
      '/etc/init.d/ipset',
      '/etc/init.d/iptables-persistent',
      '/etc/init.d/nftables',
      '/etc/conf.d/iptables',
      '/etc/conf.d/ip6tables',
      '/etc/conf.d/modules',
      '/etc/default/iptables',
    ],
    why: 'SysV and OpenRC scripts and their options on hosts without systemd.',
  },
  {
    id: 'grub',
    kind: 'file',
    paths: [
      '/boot/grub/grubenv',
      '/boot/grub/grub.cfg',
      '/boot/grub2/grubenv',
      '/boot/grub2/grub.cfg',
      '/etc/default/grub',
    ],
    why: 'Which kernel GRUB boots next (next_entry, saved_entry, GRUB_DEFAULT and the menu entries).',
  },
  {
    id: 'local-units',
    kind: 'glob',
    dirs: ['/etc/systemd/system'],
    pattern: '*.service',
    why: 'Units an administrator wrote: one may load rules into the other iptables backend at boot.',
  },
  {
    id: 'local-unit-dropins',
    kind: 'glob',
    dirs: UNIT_DIRS.map((d) => `${d}/{unit}.d`),
    pattern: '*.conf',
    why: "Drop-ins of those units: one may order a unit's ipset restore before the loader, or change its Type=.",
  },
  {
    id: 'boot-scripts',
    kind: 'file',
    paths: ['/etc/rc.local'],
    why: 'A boot script that may load rules into the other iptables backend.',
  },
  {
    id: 'ifupdown-scripts',
    kind: 'glob',
    dirs: ['/etc/network/if-pre-up.d', '/etc/network/if-up.d'],
    pattern: '*',
    why: 'ifupdown hooks run when interfaces come up; old setups load iptables rules from them.',
  },
  {
    id: 'init-links',
    kind: 'dir',
    paths: [
      '/etc/rcS.d',
      '/etc/rc2.d',
      '/etc/rc3.d',
      '/etc/runlevels/sysinit',
      '/etc/runlevels/boot',
      '/etc/runlevels/default',
    ],
    why: 'Which SysV/OpenRC services start at boot and in which order.',
  },
  ...unitFacts,
  {
    id: 'unit-dropins.all-services',
    kind: 'glob',
    dirs: UNIT_DIRS.map((d) => `${d}/service.d`),
    pattern: '*.conf',
    why: 'Drop-ins that apply to every service (systemd >= 245).',
  },
  {
    id: 'unit-dirs',
    kind: 'dir',
    paths: [
      '/etc/systemd/system',
      '/etc/systemd/system/multi-user.target.wants',
      '/etc/systemd/system/sysinit.target.wants',
      '/etc/systemd/system/basic.target.wants',
      '/etc/systemd/system/network-pre.target.wants',
      '/etc/systemd/system/network.target.wants',
    ],
    why: 'Enablement and masking as symlinks (works with --root, where systemctl cannot run).',
  },
  // --- module and sysctl policy
  {
    id: 'modules',
    kind: 'file',
    paths: ['/etc/modules', '/etc/modprobe.conf'],
    why: 'Modules loaded at boot (Debian /etc/modules, read by systemd-modules-load) and legacy config.',
  },
  {
    id: 'modules-load.d',
    kind: 'glob',
    dirs: MODULES_LOAD_DIRS,
    pattern: '*.conf',
    why: 'Modules systemd-modules-load loads at boot (modules-load.d(5); same name overrides in order).',
  },
  {
    id: 'modprobe.d',
    kind: 'glob',
    dirs: MODPROBE_DIRS,
    pattern: '*.conf',
    why: 'Blacklists, install /bin/false, options and softdeps (modprobe.d(5)).',
  },
  {
    id: 'sysctl',
    kind: 'file',
    paths: ['/etc/sysctl.conf'],
    why: 'sysctl settings such as kernel.modules_disabled=1.',
  },
  {
    id: 'sysctl.d',
    kind: 'glob',
    dirs: SYSCTL_DIRS,
    pattern: '*.conf',
    why: 'sysctl.d(5) settings such as kernel.modules_disabled=1 applied by systemd-sysctl.',
  },
  // --- commands (never run with --root)
  {
    id: 'uname-r',
    kind: 'command',
    argv: ['uname', '-r'],
    timeoutMs: 5 * SEC,
    why: 'The running kernel release: which /lib/modules tree and /boot/config apply.',
  },
  {
    id: 'uname-a',
    kind: 'command',
    argv: ['uname', '-a'],
    timeoutMs: 5 * SEC,
    why: 'Kernel build string and architecture for the report.',
  },
  {
    id: 'iptables-version',
    kind: 'command',
    argv: ['iptables', '--version'],
    precondition: 'iptables-variant',
    timeoutMs: 10 * SEC,
    why: 'iptables version and backend, "(nf_tables)" or "(legacy)".',
  },
  {
    id: 'update-alternatives.iptables',
    kind: 'command',
    argv: ['update-alternatives', '--query', 'iptables'],
    timeoutMs: 10 * SEC,
    why: 'Which iptables variant the alternatives system selects (Debian).',
  },
  {
    id: 'update-alternatives.ip6tables',
    kind: 'command',
    argv: ['update-alternatives', '--query', 'ip6tables'],
    timeoutMs: 10 * SEC,
    why: 'Which ip6tables variant the alternatives system selects (Debian).',
  },
  {
    id: 'iptables-save.default',
    kind: 'command',
    argv: ['iptables-save'],
    precondition: 'iptables-backend',
    timeoutMs: 10 * SEC,
    why: 'Live IPv4 ruleset as the boot scripts see it (whichever variant iptables-save is).',
  },
  {
    id: 'iptables-save.nft',
    kind: 'command',
    argv: ['iptables-nft-save'],
    precondition: 'nf_tables',
    timeoutMs: 10 * SEC,
    why: 'Live IPv4 ruleset in the nf_tables backend.',
  },
  {
    id: 'iptables-save.legacy',
    kind: 'command',
    argv: ['iptables-legacy-save'],
    precondition: 'ip_tables',
    timeoutMs: 10 * SEC,
    why: 'Live IPv4 ruleset in the legacy backend (rules there shadow or add to nft rules).',
  },
  {
    id: 'ip6tables-save.default',
    kind: 'command',
    argv: ['ip6tables-save'],
    precondition: 'ip6tables-backend',
    timeoutMs: 10 * SEC,
    why: 'Live IPv6 ruleset as the boot scripts see it.',
  },
  {
    id: 'ip6tables-save.nft',
    kind: 'command',
    argv: ['ip6tables-nft-save'],
    precondition: 'nf_tables',
    timeoutMs: 10 * SEC,
    why: 'Live IPv6 ruleset in the nf_tables backend.',
  },
  {
    id: 'ip6tables-save.legacy',
    kind: 'command',
    argv: ['ip6tables-legacy-save'],
    precondition: 'ip6_tables',
    timeoutMs: 10 * SEC,
    why: 'Live IPv6 ruleset in the legacy backend.',
  },
  {
    id: 'nft-list-ruleset',
    kind: 'command',
    argv: ['nft', 'list', 'ruleset'],
    precondition: 'nf_tables',
    timeoutMs: 10 * SEC,
    why: 'Native nftables rules (nftables.service, firewalld) next to the iptables-nft ones.',
  },
  {
    id: 'ipset-save',
    kind: 'command',
    argv: ['ipset', 'save'],
    precondition: 'ip_set',
    timeoutMs: 10 * SEC,
    why: 'Live ipsets: a rule with -m set --match-set needs its set to exist.',
  },
  {
    id: 'systemctl.failed',
    kind: 'command',
    argv: ['systemctl', '--failed', '--no-pager'],
    precondition: 'systemd',
    timeoutMs: 10 * SEC,
    why: 'Failed units (a dependency-failed unit is not among them; see the journal).',
  },
  {
    id: 'systemctl.is-system-running',
    kind: 'command',
    argv: ['systemctl', 'is-system-running'],
    precondition: 'systemd',
    timeoutMs: 10 * SEC,
    why: 'Whether boot finished and whether the system is degraded.',
  },
  ...unitCommands,
  {
    id: 'journal.boot',
    kind: 'command',
    argv: ['journalctl', '-b', '-o', 'json', '--no-pager', ...journalMatches()],
    timeoutMs: 30 * SEC,
    why: 'This boot: messages of the relevant units, PID 1 about them, and the kernel.',
  },
  {
    id: 'journal.prev-boot',
    kind: 'command',
    argv: ['journalctl', '-b', '-1', '-o', 'json', '--no-pager', ...journalMatches()],
    timeoutMs: 30 * SEC,
    why: 'The previous boot, same filter (what happened before a reboot that "fixed" it).',
  },
  {
    id: 'journal.list-boots',
    kind: 'command',
    argv: ['journalctl', '--list-boots', '--no-pager'],
    timeoutMs: 10 * SEC,
    why: 'Whether the journal is persistent, i.e. whether the previous boot can be read at all.',
  },
  {
    id: 'systemd-detect-virt',
    kind: 'command',
    argv: ['systemd-detect-virt'],
    timeoutMs: 10 * SEC,
    why: 'Containers cannot load modules; some VMs run a provider kernel.',
  },
  {
    id: 'dpkg-query',
    kind: 'command',
    argv: ['dpkg-query', '-W', '-f=${binary:Package}\\t${Version}\\t${db:Status-Abbrev}\\n', ...DEB_PACKAGES],
    timeoutMs: 10 * SEC,
    why: 'Installed versions of the firewall, module and kernel packages (Debian family).',
  },
  {
    id: 'rpm-q',
    kind: 'command',
    argv: ['rpm', '-q', ...RPM_PACKAGES],
    timeoutMs: 10 * SEC,
    why: 'Installed versions of the firewall, module and kernel packages (RPM family).',
  },
];

export function commandSpecs(): CommandSpec[] {
  return FACTS.filter((f): f is CommandSpec => f.kind === 'command');
}

export function findCommand(id: string): CommandSpec | undefined {
  return commandSpecs().find((c) => c.id === id);
}

/** sh `case` pattern matching restricted to `*` and `?` (the registry uses nothing else). */
export function matchPattern(pattern: string, name: string): boolean {
  let re = '^';
  for (const ch of pattern) {
    re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(name);
}

function expandPlaceholders(path: string, releases: readonly string[], units: readonly string[]): string[] {
  const paths = path.includes('{release}') ? releases.map((r) => path.replaceAll('{release}', r)) : [path];
  return paths.flatMap((p) => (p.includes('{unit}') ? units.map((u) => p.replaceAll('{unit}', u)) : [p]));
}

/**
 * Every file path and glob (dir + pattern) and listed directory the registry names, releases and the
 * administrator's units expanded.
 */
export function expandFacts(
  releases: readonly string[],
  units: readonly string[] = [],
): {
  files: { id: string; path: string }[];
  globs: { id: string; dir: string; pattern: string }[];
  dirs: { id: string; path: string }[];
} {
  const files: { id: string; path: string }[] = [];
  const globs: { id: string; dir: string; pattern: string }[] = [];
  const dirs: { id: string; path: string }[] = [];
  for (const f of FACTS) {
    if (f.kind === 'file') {
      for (const p of f.paths) {
        files.push(...expandPlaceholders(p, releases, units).map((path) => ({ id: f.id, path })));
      }
    } else if (f.kind === 'glob') {
      for (const d of f.dirs) {
        for (const dir of expandPlaceholders(d, releases, units)) {
          globs.push({ id: f.id, dir, pattern: f.pattern });
          dirs.push({ id: f.id, path: dir });
        }
      }
    } else if (f.kind === 'dir') {
      for (const p of f.paths) {
        dirs.push(...expandPlaceholders(p, releases, units).map((path) => ({ id: f.id, path })));
      }
    }
  }
  return { files, globs, dirs };
}

/** Whether the registry names this (canonical) file path; the collector copies nothing else. */
export function registryNamesFile(path: string, releases: readonly string[]): boolean {
  const { files, globs } = expandFacts(releases);
  if (files.some((f) => f.path === path)) {
    return true;
  }
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const name = path.slice(slash + 1);
  return globs.some((g) => g.dir === dir && matchPattern(g.pattern, name));
}

export const COLLECTOR_TABLE_BEGIN =
  '# BEGIN FACT TABLE (rendered from src/sources/registry.ts; do not edit)';
export const COLLECTOR_TABLE_END = '# END FACT TABLE';

/**
 * The fact table embedded in the shell collector: one tab-separated row per path or command.
 *   file  ID  PATH
 *   glob  ID  DIR  PATTERN
 *   dir   ID  PATH
 *   cmd   ID  PRECONDITION|-  TIMEOUT_SECONDS  ARGV (words separated by single spaces)
 */
export function renderCollectorTable(): string {
  const rows: string[] = [];
  for (const f of FACTS) {
    switch (f.kind) {
      case 'file':
        for (const p of f.paths) {
          rows.push(['file', f.id, p].join('\t'));
        }
        break;
      case 'glob':
        for (const d of f.dirs) {
          rows.push(['glob', f.id, d, f.pattern].join('\t'));
        }
        break;
      case 'dir':
        for (const p of f.paths) {
          rows.push(['dir', f.id, p].join('\t'));
        }
        break;
      case 'command':
        rows.push(
          ['cmd', f.id, f.precondition ?? '-', String(Math.ceil(f.timeoutMs / 1000)), f.argv.join(' ')].join(
            '\t',
          ),
        );
        break;
    }
  }
  return rows.join('\n');
}
