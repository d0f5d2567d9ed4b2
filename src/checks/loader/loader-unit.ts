// What a firewall loader unit really runs at boot, read from its effective unit file (fragment + drop-ins), not
// assumed from its name: which rules file its ExecStart= restores, whether it is ordered before the network,
// and which path it asserts.
//
// The shapes, from the packages' own files (src/parsers/__samples__/iptables-services and arch-iptables, see
// SOURCES.md there):
//  - RHEL/Fedora iptables-services: `ExecStart=/usr/libexec/iptables/iptables.init start`; the script sets
//    `IPTABLES=iptables` and restores `IPTABLES_DATA=/etc/sysconfig/$IPTABLES`. ip6tables.init is the same
//    script passed through the spec's `sed -e 's;iptables;ip6tables;g'`, so it restores /etc/sysconfig/ip6tables.
//    The unit has `AssertPathExists=/etc/sysconfig/iptables` and `Before=network-pre.target`.
//  - Arch: `ExecStart=/usr/bin/iptables-restore /etc/iptables/iptables.rules`: the file is the argument; the unit
//    has no ordering against the network at all.
//  - Debian: `ExecStart=/usr/sbin/netfilter-persistent start`, whose plugins restore /etc/iptables/rules.v4 and
//    rules.v6 (15-ip4tables / 25-ip6tables).
//  - A hand-written unit: `ExecStart=/bin/sh -c "iptables-restore < /etc/iptables.conf"`: the redirection.
import type { EffectiveUnit } from '../../model/units.ts';
import type { Origin } from '../../parsers/types.ts';
import { splitExecCommand } from '../../parsers/systemd-unit.ts';
import type { Family } from '../../knowledge/extensions.ts';

export type LoaderRunKind = 'iptables-init' | 'iptables-restore' | 'netfilter-persistent' | 'other';

export interface LoaderRun {
  readonly kind: LoaderRunKind;
  /** The ExecStart= line the decision comes from. */
  readonly execStart?: { readonly value: string; readonly at: Origin };
  /** Rules files it restores, per family (netfilter-persistent restores both). */
  readonly restores: readonly { readonly path: string; readonly family: Family }[];
  /** The Before=network-pre.target line, when there is one. */
  readonly beforeNetworkPre?: Origin;
  /** AssertPathExists= / ConditionPathExists= values: a missing path fails (assert) or skips (condition) it. */
  readonly pathChecks: readonly {
    readonly kind: 'assert' | 'condition';
    readonly path: string;
    readonly at: Origin;
  }[];
}

const NETWORK_PRE = 'network-pre.target';

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function familyOf(tool: string): Family {
  return tool.startsWith('ip6') ? 'ipv6' : 'ipv4';
}

/** iptables-restore's file argument: the first word that is not an option or an option's value. */
function restoreFileArg(args: readonly string[]): string | undefined {
  // iptables-restore(8): -M/--modprobe, -T/--table, -w/--wait, -W/--wait-interval take a value.
  const withValue = new Set(['-M', '--modprobe', '-T', '--table', '-W', '--wait-interval']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (withValue.has(a)) {
      i++;
      continue;
    }
    if (a === '-w' || a === '--wait') {
      if (/^\d+$/.test(args[i + 1] ?? '')) {
        i++;
      }
      continue;
    }
    if (a === '<' && args[i + 1] !== undefined) {
      return args[i + 1];
    }
    if (a.startsWith('<') && a.length > 1) {
      return a.slice(1);
    }
    if (!a.startsWith('-')) {
      return a;
    }
  }
  return undefined;
}

const RESTORE_TOOL = /^(ip6?tables)(?:-(?:legacy|nft))?-restore$/;

function fromArgv(argv: readonly string[]): Pick<LoaderRun, 'kind' | 'restores'> {
  const [cmd = '', ...args] = argv;
  const name = base(cmd);
  const init = /^(ip6?tables)\.init$/.exec(name);
  if (init?.[1] !== undefined && (args[0] === 'start' || args[0] === 'restart' || args[0] === 'reload')) {
    return {
      kind: 'iptables-init',
      restores: [{ path: `/etc/sysconfig/${init[1]}`, family: familyOf(init[1]) }],
    };
  }
  const tool =
    RESTORE_TOOL.exec(name) ??
    (name === 'xtables-legacy-multi' || name === 'xtables-nft-multi'
      ? RESTORE_TOOL.exec(args[0] ?? '')
      : null);
  if (tool?.[1] !== undefined) {
    const rest = name.startsWith('xtables-') ? args.slice(1) : args;
    const file = restoreFileArg(rest);
    return {
      kind: 'iptables-restore',
      restores: file === undefined ? [] : [{ path: file, family: familyOf(tool[1]) }],
    };
  }
  if (name === 'netfilter-persistent' && (args[0] === 'start' || args[0] === 'restart')) {
    return {
      kind: 'netfilter-persistent',
      restores: [
        { path: '/etc/iptables/rules.v4', family: 'ipv4' },
        { path: '/etc/iptables/rules.v6', family: 'ipv6' },
      ],
    };
  }
  // sh -c "iptables-restore < FILE": the script is one word.
  if (/^(ba|da)?sh$/.test(name) && args[0] === '-c' && args[1] !== undefined) {
    const inner = args[1].replace(/</g, ' < ').trim().split(/\s+/);
    const inside = fromArgv(inner);
    if (inside.kind !== 'other') {
      return inside;
    }
  }
  return { kind: 'other', restores: [] };
}

/** What the unit runs at start, from its effective ExecStart= (the last command line that restores, if several). */
export function loaderRun(unit: EffectiveUnit): LoaderRun {
  const execs = unit.values('Service', 'ExecStart').filter((e) => e.value.trim() !== '');
  let chosen: { value: string; at: Origin } | undefined = execs[0];
  let run: Pick<LoaderRun, 'kind' | 'restores'> = { kind: 'other', restores: [] };
  for (const e of execs) {
    const r = fromArgv(splitExecCommand(e.value).argv);
    if (r.kind !== 'other') {
      chosen = e;
      run = r;
    }
  }
  const before = unit.deps('Before').find((d) => d.unit === NETWORK_PRE);
  const pathChecks = [
    ...unit.values('Unit', 'AssertPathExists').map((v) => ({ kind: 'assert' as const, ...v })),
    ...unit.values('Unit', 'ConditionPathExists').map((v) => ({ kind: 'condition' as const, ...v })),
  ]
    .filter((v) => v.value.startsWith('/'))
    .map((v) => ({ kind: v.kind, path: v.value, at: v.at }));
  return {
    ...run,
    ...(chosen === undefined ? {} : { execStart: chosen }),
    ...(before === undefined ? {} : { beforeNetworkPre: before.at }),
    pathChecks,
  };
}
