// The effective configuration of one systemd unit: its fragment plus drop-ins, merged as systemd.unit(5)
// describes and src/shared/dropin.c + conf-files.c implement:
//  - Fragment: the first "name" found along the unit search path (unitSearchPath(), highest priority
//    first). A fragment symlinked to /dev/null, or an empty file, masks the unit ("LoadState=masked").
//  - Drop-ins: "*.conf" files in "<name>.d/" for the unit's name and aliases, "<template>@.<type>.d/" for an
//    instance, each dash prefix ("foo-bar-baz.service" also reads "foo-bar-.service.d/" and
//    "foo-.service.d/"), and the top-level "<type>.d/" ("service.d/"), in every search-path directory. Files
//    are taken by file name: a name in a higher-priority directory shadows the same name elsewhere (within
//    one directory: the unit's own .d first, then template, then longer prefixes, then the type dir); the
//    survivors are applied sorted by file name, wherever they live, after the fragment.
//  - Repeated settings: list settings (Requires=, After=, ExecStart=, Environment= ...) accumulate and an
//    empty assignment resets the list (systemd.syntax(7), systemd.unit(5)); for single-valued settings the
//    last assignment wins. values() gives the accumulated list, last() the winner.

import type { Diagnostic, Origin } from '../parsers/types.ts';
import { parseUnitFile, type UnitEntry } from '../parsers/systemd-unit.ts';

export interface UnitSource {
  /** Path as on the host, e.g. /lib/systemd/system/netfilter-persistent.service. */
  readonly path: string;
  readonly text: string;
}

export type DepKind =
  | 'Requires'
  | 'Requisite'
  | 'BindsTo'
  | 'PartOf'
  | 'Wants'
  | 'After'
  | 'Before'
  | 'Conflicts'
  | 'WantedBy'
  | 'RequiredBy';

export interface EffectiveUnit {
  readonly name: string;
  readonly fragmentPath?: string;
  /** Effective drop-ins in application order (as `systemctl show -p DropInPaths` lists them). */
  readonly dropIns: readonly string[];
  readonly masked: boolean;
  /** Candidates that lost: lower-priority fragments and shadowed drop-ins. */
  readonly shadowed: readonly string[];
  /** Parser diagnostics of the files used, plus merge findings. */
  readonly diagnostics: readonly Diagnostic[];
  values(section: string, key: string): readonly { value: string; at: Origin }[];
  last(section: string, key: string): { value: string; at: Origin } | undefined;
  deps(kind: DepKind): { unit: string; at: Origin }[];
  /** Alias= names from [Install] (fragment and drop-ins). */
  aliases(): { unit: string; at: Origin }[];
}

/**
 * System-mode unit search path, highest priority first (systemd.unit(5) "Unit File Load Path", system
 * manager). /lib/systemd/system is searched by split-usr builds (Debian <= 12 builds systemd that way and
 * puts it right before /usr/lib/systemd/system); on merged-/usr hosts it is the same directory.
 */
export function unitSearchPath(): readonly string[] {
  return SEARCH_PATH;
}

const SEARCH_PATH: readonly string[] = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/run/systemd/generator.early',
  '/etc/systemd/system',
  '/etc/systemd/system.attached',
  '/run/systemd/system',
  '/run/systemd/system.attached',
  '/run/systemd/generator',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/run/systemd/generator.late',
];

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function searchIndex(dir: string): number {
  const i = SEARCH_PATH.indexOf(dir.replace(/\/+$/, ''));
  return i === -1 ? SEARCH_PATH.length : i;
}

/** Drop-in directory names for `name` in precedence order within one search-path directory. */
export function dropInDirNames(name: string, aliases: readonly string[] = []): string[] {
  const dot = name.lastIndexOf('.');
  const type = dot === -1 ? '' : name.slice(dot + 1);
  const out: string[] = [];
  for (const n of [name, ...aliases]) {
    out.push(`${n}.d`);
    const at = n.indexOf('@');
    const nd = n.lastIndexOf('.');
    if (at !== -1 && nd > at + 1) {
      out.push(`${n.slice(0, at + 1)}${n.slice(nd)}.d`); // foo@bar.service -> foo@.service.d
    }
    // Dash prefixes, longest first: foo-bar-baz.service -> foo-bar-.service.d, foo-.service.d
    const stem = nd === -1 ? n : n.slice(0, nd);
    const suffix = nd === -1 ? '' : n.slice(nd);
    for (let i = stem.length - 1; i > 0; i--) {
      if (stem.charAt(i) === '-' && i !== stem.length - 1) {
        out.push(`${stem.slice(0, i + 1)}${suffix}.d`);
      }
    }
  }
  if (type !== '') {
    out.push(`${type}.d`);
  }
  return [...new Set(out)];
}

/** Settings whose repeated assignments accumulate (an empty assignment resets). Others: last wins. */
const LIST_SETTINGS = new Set([
  'Requires',
  'Requisite',
  'Wants',
  'BindsTo',
  'PartOf',
  'Upholds',
  'Conflicts',
  'Before',
  'After',
  'OnFailure',
  'OnSuccess',
  'PropagatesReloadTo',
  'ReloadPropagatedFrom',
  'PropagatesStopTo',
  'StopPropagatedFrom',
  'JoinsNamespaceOf',
  'RequiresMountsFor',
  'Documentation',
  'WantedBy',
  'RequiredBy',
  'UpheldBy',
  'Also',
  'Alias',
  'ExecStartPre',
  'ExecStart',
  'ExecStartPost',
  'ExecCondition',
  'ExecReload',
  'ExecStop',
  'ExecStopPost',
  'Environment',
  'EnvironmentFile',
  'PassEnvironment',
  'UnsetEnvironment',
  'LoadCredential',
  'SetCredential',
]);

export function isListSetting(key: string): boolean {
  return LIST_SETTINGS.has(key) || key.startsWith('Condition') || key.startsWith('Assert');
}

export interface ResolveCandidates {
  readonly fragments: readonly UnitSource[];
  readonly dropIns: readonly UnitSource[];
  /** A fragment path that is a symlink to /dev/null. */
  readonly masked?: { readonly path: string };
  /** Other names of the unit (alias symlinks in the search path): their ".d/" dirs apply too. */
  readonly aliases?: readonly string[];
}

export function resolveUnit(name: string, candidates: ResolveCandidates): EffectiveUnit {
  const diagnostics: Diagnostic[] = [];
  const shadowed: string[] = [];

  // Fragment: highest-priority directory wins; a /dev/null link there masks.
  type Frag = { path: string; text?: string; prio: number };
  const frags: Frag[] = candidates.fragments
    .filter((f) => basename(f.path) === name)
    .map((f) => ({ path: f.path, text: f.text, prio: searchIndex(dirname(f.path)) }));
  for (const f of candidates.fragments) {
    if (basename(f.path) !== name) {
      diagnostics.push({
        at: { file: f.path },
        severity: 'warning',
        code: 'unit-fragment-name-mismatch',
        message: `${f.path} is not named ${name}; ignored as a fragment`,
      });
    }
  }
  if (candidates.masked !== undefined) {
    frags.push({ path: candidates.masked.path, prio: searchIndex(dirname(candidates.masked.path)) });
  }
  frags.sort((a, b) => a.prio - b.prio);
  const chosen = frags[0];
  for (const f of frags.slice(1)) {
    shadowed.push(f.path);
  }
  let masked = false;
  let fragmentEntries: UnitEntry[] = [];
  if (chosen !== undefined) {
    if (chosen.text === undefined) {
      masked = true;
    } else if (chosen.text.length === 0) {
      masked = true; // systemd.unit(5): an empty unit file is treated as masked
    } else {
      const p = parseUnitFile(chosen.text, chosen.path);
      diagnostics.push(...p.diagnostics);
      fragmentEntries = [...p.value.entries];
    }
  }

  // Drop-ins.
  const aliases = candidates.aliases ?? [];
  const dirNames = dropInDirNames(name, aliases);
  const best = new Map<string, { src: UnitSource; rank: [number, number] }>();
  for (const d of candidates.dropIns) {
    const file = basename(d.path);
    const dropDir = dirname(d.path);
    const dirRank = dirNames.indexOf(basename(dropDir));
    if (dirRank === -1) {
      diagnostics.push({
        at: { file: d.path },
        severity: 'info',
        code: 'unit-dropin-not-for-unit',
        message: `${d.path} is not in a drop-in directory of ${name}`,
      });
      continue;
    }
    if (!file.endsWith('.conf')) {
      diagnostics.push({
        at: { file: d.path },
        severity: 'warning',
        code: 'unit-dropin-not-conf',
        message: `${d.path}: only *.conf files in ${basename(dropDir)}/ are read; this one is ignored`,
      });
      continue;
    }
    const rank: [number, number] = [searchIndex(dirname(dropDir)), dirRank];
    const cur = best.get(file);
    if (cur === undefined) {
      best.set(file, { src: d, rank });
    } else if (rank[0] < cur.rank[0] || (rank[0] === cur.rank[0] && rank[1] < cur.rank[1])) {
      shadowed.push(cur.src.path);
      best.set(file, { src: d, rank });
    } else {
      shadowed.push(d.path);
    }
  }
  const dropIns = [...best.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v.src);

  const entries: UnitEntry[] = masked ? [] : [...fragmentEntries];
  if (!masked) {
    for (const d of dropIns) {
      const p = parseUnitFile(d.text, d.path);
      diagnostics.push(...p.diagnostics);
      entries.push(...p.value.entries);
    }
  }

  const values = (section: string, key: string): { value: string; at: Origin }[] => {
    let acc: { value: string; at: Origin }[] = [];
    for (const e of entries) {
      if (e.section !== section || e.key !== key) {
        continue;
      }
      if (e.value === '') {
        acc = [];
        continue;
      }
      acc.push({ value: e.value, at: { file: e.file, line: e.line } });
    }
    return acc;
  };
  const last = (section: string, key: string): { value: string; at: Origin } | undefined => {
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e !== undefined && e.section === section && e.key === key) {
        return { value: e.value, at: { file: e.file, line: e.line } };
      }
    }
    return undefined;
  };
  const split = (section: string, key: string): { unit: string; at: Origin }[] =>
    values(section, key).flatMap((v) =>
      v.value
        .split(/\s+/)
        .filter((u) => u !== '')
        .map((unit) => ({ unit, at: v.at })),
    );
  const deps = (kind: DepKind): { unit: string; at: Origin }[] =>
    split(kind === 'WantedBy' || kind === 'RequiredBy' ? 'Install' : 'Unit', kind);

  const base = {
    name,
    dropIns: masked ? [] : dropIns.map((d) => d.path),
    masked,
    shadowed,
    diagnostics,
    values,
    last,
    deps,
    aliases: () => split('Install', 'Alias'),
  };
  return chosen !== undefined && !masked ? { ...base, fragmentPath: chosen.path } : base;
}

export interface HardDependency {
  /** Requires, Requisite or BindsTo. */
  readonly kind: 'Requires' | 'Requisite' | 'BindsTo';
  readonly at: Origin;
  /** The dependent also has After=<dependency>. */
  readonly ordered: boolean;
  readonly orderedAt?: Origin;
  /**
   * "yes": a failed start of the dependency fails the dependent's start job with result 'dependency'
   * ("Dependency failed for ..."), the documented behaviour. "race": no After=, both start in parallel;
   * systemd fails the dependent's job only if it is still pending when the dependency fails, which the
   * man page does not promise.
   */
  readonly propagatesStartFailure: 'yes' | 'race';
}

/**
 * Does a failure of `dependency` propagate to `dependent` as "Dependency failed"? systemd.unit(5):
 * Requires= — "If one of the other units fails to activate, and an ordering dependency After= on the failing
 * unit is set, this unit will not be started" (wording since systemd PR #6869, v235); without After= both are
 * started in parallel. BindsTo= is Requires= and more (also stops when the other unit stops), same ordering
 * rule. Requisite= — the dependency is not started; if it is not already active the dependent's start fails
 * at once; "should usually be combined with After=". Wants= and PartOf= never fail a start.
 * When several apply, Requires wins over BindsTo over Requisite for the report, ordered ones first.
 */
export function hardDependencyOn(dependent: EffectiveUnit, dependency: string): HardDependency | undefined {
  const after = dependent.deps('After').find((d) => d.unit === dependency);
  const found: HardDependency[] = [];
  for (const kind of ['Requires', 'BindsTo', 'Requisite'] as const) {
    const d = dependent.deps(kind).find((x) => x.unit === dependency);
    if (d === undefined) {
      continue;
    }
    found.push({
      kind,
      at: d.at,
      ordered: after !== undefined,
      ...(after !== undefined ? { orderedAt: after.at } : {}),
      propagatesStartFailure: after !== undefined ? 'yes' : 'race',
    });
  }
  return found[0];
}

/** `systemctl is-enabled` states of a unit that the boot starts (systemctl(1) is-enabled table). */
const STARTS_AT_BOOT: ReadonlySet<string> = new Set([
  'enabled',
  'enabled-runtime',
  'static',
  'indirect',
  'alias',
  'generated',
]);

export function startsAtBoot(isEnabledState: string): boolean {
  return STARTS_AT_BOOT.has(isEnabledState);
}

/**
 * The line that starts `first` before `second` (systemd.unit(5): Before= on the one, or After= naming it on
 * the other, both mean the same order); undefined when nothing orders them and both start in parallel.
 */
export function orderedBefore(
  first: { readonly name: string; readonly effective?: EffectiveUnit } | undefined,
  second: { readonly name: string; readonly effective?: EffectiveUnit } | undefined,
): { readonly setting: string; readonly unit: string; readonly at: Origin } | undefined {
  if (first === undefined || second === undefined) {
    return undefined;
  }
  const before = first.effective?.deps('Before').find((d) => d.unit === second.name);
  if (before !== undefined) {
    return { setting: `Before=${second.name}`, unit: before.unit, at: before.at };
  }
  const after = second.effective?.deps('After').find((d) => d.unit === first.name);
  return after === undefined ? undefined : { setting: `After=${first.name}`, unit: after.unit, at: after.at };
}
