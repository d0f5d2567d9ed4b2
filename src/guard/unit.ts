// The systemd unit and the launcher the guard installs (and the .deb ships).
//
// Ordering (systemd.unit(5), systemd.special(7)): network-pre.target is where firewalls hook in; a unit
// that must act before any interface is configured sets Before=network-pre.target and pulls the target in
// with Wants= (network management services are After= it). Every loader nfdoctor knows orders itself
// Before=network-pre.target too (netfilter-persistent: DefaultDependencies=no, Before=network-pre.target,
// After=systemd-modules-load.service local-fs.target), so "After= every loader, Before=network-pre.target"
// adds no cycle: nothing a loader waits for waits for the guard. After= on a unit that is not installed is
// ignored, so one unit text serves every host. DefaultDependencies=no keeps it out of basic.target (which
// would order it after sysinit and so after network-pre on hosts whose loader is early), and then the
// shutdown conflict has to be spelled out, as netfilter-persistent does.
import { RELEVANT_UNITS } from '../sources/registry.ts';

/** Firewall loaders the guard runs after (Debian, RHEL, Arch, firewalld, ufw, nftables): the units nfdoctor reads. */
export const LOADER_UNITS = RELEVANT_UNITS.filter(
  (u) => u !== 'systemd-modules-load.service' && u !== 'systemd-sysctl.service',
);

export const UNIT_NAME = 'nfdoctor-guard.service';
export const REPORT_UNIT_NAME = 'nfdoctor-guard-report.service';

/** The pre-network unit: the sh check (src/guard/fast.ts), before network-pre.target. */
export function guardUnit(script: string): string {
  return `# ${UNIT_NAME}: nfdoctor's boot guard, pre-network check (see "nfdoctor guard --help").
# Enable it with "nfdoctor guard install"; "nfdoctor guard uninstall" removes what that installed.
[Unit]
Description=nfdoctor boot guard: check that the firewall loaded, before the network comes up
Documentation=man:nfdoctor(1)
DefaultDependencies=no
Wants=network-pre.target
After=local-fs.target systemd-journald.socket systemd-modules-load.service ${LOADER_UNITS.join(' ')}
Before=network-pre.target shutdown.target
Conflicts=shutdown.target
RequiresMountsFor=/var/lib/nfdoctor
ConditionPathExists=${script}

[Service]
Type=oneshot
ExecStart=/bin/sh ${script}
RuntimeDirectory=nfdoctor
RuntimeDirectoryPreserve=yes
# 28 s on a lab boot under heavy host load (TCG): room for that, not for a hung iptables.
TimeoutStartSec=90
# On the way to network-pre.target, it runs beside udev's coldplug. Its own modprobe inserts the emergency
# ruleset's modules in this process tree (finit_module runs the load and the module's init in the caller:
# kernel/module/main.c), so this priority covers them, unlike the kernel's autoload helpers (kernel/kmod.c).
Nice=-10

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The Node part: the full diagnosis, started after multi-user.target so that it delays nothing.
 * systemd.target(5), "Default Dependencies": "Target units will automatically complement all configured
 * dependencies of type Wants= or Requires= with dependencies of type After= unless DefaultDependencies=no is
 * set in the specified units" (systemd issue #7113 confirms "specified units" means the wanted unit). With
 * DefaultDependencies=no here, multi-user.target does not wait for this unit, and After=multi-user.target is
 * no ordering cycle. Type=exec: the start job is done once
 * the process runs, so "Startup finished" (logged when the job queue is empty) and `systemctl
 * is-system-running` do not wait for a diagnosis that takes tens of seconds under emulation.
 */
export function reportUnit(launcher: string): string {
  return `# ${REPORT_UNIT_NAME}: nfdoctor's boot guard, full diagnosis after boot (see "nfdoctor guard --help").
# Enable it with "nfdoctor guard install"; "nfdoctor guard uninstall" removes what that installed.
[Unit]
Description=nfdoctor boot guard: diagnose and report this boot's firewall (does not delay boot)
Documentation=man:nfdoctor(1)
DefaultDependencies=no
After=multi-user.target ${UNIT_NAME} local-fs.target systemd-journald.socket
Before=shutdown.target
Conflicts=shutdown.target
RequiresMountsFor=/var/lib/nfdoctor

[Service]
Type=exec
ExecStart=${launcher} guard boot
Nice=19
IOSchedulingClass=idle
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
`;
}

/**
 * POSIX sh launcher: finds the bundle relative to itself and a Node.js >= 18.18 (the bundle's floor) and runs the bundle, or says plainly
 * that it is missing. Under systemd the message lands in the journal with priority err ("<3>" prefix,
 * SyslogLevelPrefix= in systemd.exec(5); systemd sets INVOCATION_ID for services).
 */
export function launcherScript(): string {
  return `#!/bin/sh
# nfdoctor launcher: runs ../lib/nfdoctor/nfdoctor.cjs (beside this script's bin directory: /usr/bin ->
# /usr/lib/nfdoctor, /usr/local/bin -> /usr/local/lib/nfdoctor) with Node.js >= 18.18.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
bundle="\${self%/bin/*}/lib/nfdoctor/nfdoctor.cjs"
found=
# NFDOCTOR_NODE names the one node to use; otherwise the first good one of PATH and the usual places.
candidates=\${NFDOCTOR_NODE:-"$(command -v node 2>/dev/null) /usr/bin/node /usr/local/bin/node /usr/bin/nodejs"}
for node in $candidates; do
  [ -n "$node" ] && [ -x "$node" ] || continue
  v=$("$node" --version 2>/dev/null) || continue
  major=\${v#v}; major=\${major%%.*}; minor=\${v#v*.}; minor=\${minor%%.*}
  case $major$minor in *[!0-9]*|'') found="$found $node ($v)"; continue ;; esac
  if [ "$major" -gt 18 ] || { [ "$major" -eq 18 ] && [ "$minor" -ge 18 ]; }; then
    exec "$node" "$bundle" "$@"
  fi
  found="$found $node ($v)"
done
# systemd sets INVOCATION_ID for a service: mark the line as err for the journal.
[ -z "\${INVOCATION_ID:-}" ] || printf '<3>' >&2
echo "nfdoctor: needs Node.js >= 18.18, found\${found:- none}; install it (Debian 12: apt install nodejs)" >&2
exit 2
`;
}
