// Everything nfdoctor knows about one kernel's ability to provide modules, loaded from its own metadata
// (modules.dep, modules.alias, modules.builtin(.modinfo), modules.softdep, config) and, on a host, from
// /proc and modprobe.d. Missing inputs are recorded, never guessed.
import type { HostReader, FileFact } from '../sources/host-reader.ts';
import type { Diagnostic } from '../parsers/types.ts';
import { readModulesDep, type ModuleDep } from '../parsers/modules-dep.ts';
import {
  readModulesAlias,
  buildAliasIndex,
  type AliasIndex,
  type ModuleAlias,
} from '../parsers/modules-alias.ts';
import { parseModulesSoftdep, type SoftDep } from '../parsers/modules-softdep.ts';
import { parseModulesBuiltin, parseModulesBuiltinModinfo } from '../parsers/modules-builtin.ts';
import { readKernelConfig, decodeMaybeGzip, type ConfigValue } from '../parsers/kernel-config.ts';
import { parseProcModules, type LoadedModule } from '../parsers/proc-modules.ts';
import {
  parseModprobeD,
  orderModprobeFiles,
  buildModulePolicy,
  type ModprobeDirective,
  type ModulePolicy,
} from '../parsers/modprobe-d.ts';
import { parseKernelCmdline, type KernelCmdline } from '../parsers/kernel-cmdline.ts';
import { normalizeModuleName } from '../parsers/module-name.ts';
import { ContentCache } from '../parsers/content-cache.ts';
import type { Family } from '../knowledge/extensions.ts';

export interface MissingInput {
  readonly path: string;
  readonly status: string;
  readonly reason: string;
}

export interface RegisteredExtensions {
  readonly source: string;
  readonly names: ReadonlySet<string>;
}

export interface KernelView {
  readonly release: string;
  /** Where the metadata came from: "/lib/modules/6.1.0-56-amd64 on this host", a --kernel dir, a snapshot. */
  readonly sourceLabel: string;
  readonly sourceKind: 'kernel-dir' | 'root' | 'live' | 'snapshot';
  readonly modulesDir: string;
  readonly deps?: ReadonlyMap<string, ModuleDep & { readonly file: string }>;
  readonly aliases?: AliasIndex;
  readonly builtin?: ReadonlyMap<
    string,
    { readonly file: string; readonly line: number; readonly path: string }
  >;
  readonly builtinAliases?: AliasIndex;
  readonly softdeps: ReadonlyMap<string, SoftDep & { readonly file: string }>;
  readonly config?: { readonly file: string; readonly values: ReadonlyMap<string, ConfigValue> };
  /** undefined: we could not see which modules are loaded (a --kernel dir, a mounted disk). */
  readonly loaded?: { readonly source: string; readonly modules: ReadonlyMap<string, LoadedModule> };
  readonly modulesDisabled?: { readonly source: string; readonly disabled: boolean };
  readonly moduleSupport: {
    readonly value: 'yes' | 'no' | 'unknown';
    readonly source?: string;
    readonly line?: number;
  };
  readonly policy: ModulePolicy;
  readonly modprobeFiles: readonly string[];
  readonly cmdline?: { readonly source: string; readonly value: KernelCmdline };
  /** x_tables extensions the running kernel has registered (/proc/net/ip_tables_matches ...). */
  readonly registered?: ReadonlyMap<string, RegisteredExtensions>;
  /** Module files seen on disk, by path relative to modulesDir; undefined where nobody could look. */
  readonly moduleFiles?: ReadonlySet<string>;
  readonly missing: readonly MissingInput[];
  readonly diagnostics: readonly Diagnostic[];
}

export interface KernelLayout {
  readonly release: string;
  readonly sourceKind: KernelView['sourceKind'];
  readonly sourceLabel: string;
  /** Directory holding modules.dep etc., as a path the reader understands. */
  readonly modulesDir: string;
  readonly configCandidates: readonly string[];
  /** Only for a running host or its snapshot: /proc files. */
  readonly proc: boolean;
  /** modprobe.d directories in kmod priority order; [] for a bare --kernel dir. */
  readonly modprobeDirs: readonly string[];
}

/** kmod's configuration directories, highest priority first (modprobe.d(5)). */
export const MODPROBE_DIRS: readonly string[] = [
  '/etc/modprobe.d',
  '/run/modprobe.d',
  '/usr/local/lib/modprobe.d',
  '/usr/lib/modprobe.d',
  '/lib/modprobe.d',
];

/** The layout of a whole filesystem (live host, --root, snapshot) for kernel `release`. */
export function hostKernelLayout(
  release: string,
  sourceKind: 'root' | 'live' | 'snapshot',
  sourceLabel: string,
): KernelLayout {
  return {
    release,
    sourceKind,
    sourceLabel,
    modulesDir: `/lib/modules/${release}`,
    configCandidates: [
      `/boot/config-${release}`,
      `/lib/modules/${release}/config`,
      `/lib/modules/${release}/build/.config`,
    ],
    proc: sourceKind !== 'root',
    modprobeDirs: MODPROBE_DIRS,
  };
}

/** The layout of a bare modules directory given with --kernel DIR: config beside it or inside it. */
export function kernelDirLayout(dir: string, release: string): KernelLayout {
  const parent = dir.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
  return {
    release,
    sourceKind: 'kernel-dir',
    sourceLabel: dir,
    modulesDir: dir,
    configCandidates: [
      `${dir}/config-${release}`,
      `${dir}/config`,
      `${dir}/build/.config`,
      `${parent}/config-${release}`,
      `${parent}/../../boot/config-${release}`,
    ],
    proc: false,
    modprobeDirs: [],
  };
}

function textOf(fact: FileFact): string | undefined {
  return fact.status === 'ok' ? fact.content.toString('utf8') : undefined;
}

function missingFrom(fact: FileFact): MissingInput | undefined {
  return fact.status === 'ok' ? undefined : { path: fact.path, status: fact.status, reason: fact.reason };
}

interface Collector {
  readonly missing: MissingInput[];
  readonly diagnostics: Diagnostic[];
}

async function readText(reader: HostReader, path: string, acc: Collector): Promise<string | undefined> {
  const fact = await reader.readFile(path);
  const miss = missingFrom(fact);
  if (miss !== undefined) {
    acc.missing.push(miss);
  }
  return textOf(fact);
}

/**
 * Parsed kernel metadata by path and exact content: hosts running the same kernel share it (a fleet worker
 * reads the same modules.dep for most of its hosts). Bounded: a few kernels' worth of files.
 */
const KERNEL_FILES = new ContentCache(48);

/** A process that reads many hosts (the fleet) keeps its own copy of the kernel files it has parsed. */
export function shareKernelFilesAcrossHosts(): void {
  KERNEL_FILES.keepCopies();
}

interface ParsedFile<T> {
  readonly diagnostics: readonly Diagnostic[];
  readonly value: T;
}

function parsedOnce<T>(
  content: Buffer | undefined,
  kind: string,
  path: string,
  parse: (content: Buffer) => ParsedFile<T>,
): ParsedFile<T> | undefined {
  return content === undefined ? undefined : KERNEL_FILES.get(kind, path, content, parse);
}

async function readContent(reader: HostReader, path: string, acc: Collector): Promise<Buffer | undefined> {
  const fact = await reader.readFile(path);
  const miss = missingFrom(fact);
  if (miss !== undefined) {
    acc.missing.push(miss);
  }
  return fact.status === 'ok' ? fact.content : undefined;
}

async function loadConfig(
  reader: HostReader,
  layout: KernelLayout,
  acc: Collector,
): Promise<KernelView['config']> {
  const tried: MissingInput[] = [];
  for (const path of layout.configCandidates) {
    const fact = await reader.readFile(path);
    if (fact.status === 'ok') {
      const parsed = KERNEL_FILES.get('config', path, fact.content, (b) =>
        readKernelConfig(b.toString('utf8'), path),
      );
      acc.diagnostics.push(...parsed.diagnostics);
      return { file: path, values: parsed.value };
    }
    tried.push({ path, status: fact.status, reason: fact.reason });
  }
  if (layout.proc) {
    // /proc/config.gz describes the running kernel itself (CONFIG_IKCONFIG_PROC).
    const fact = await reader.readFile('/proc/config.gz');
    if (fact.status === 'ok') {
      const decoded = decodeMaybeGzip(fact.content);
      if ('text' in decoded) {
        const parsed = readKernelConfig(decoded.text, '/proc/config.gz');
        acc.diagnostics.push(...parsed.diagnostics);
        return { file: '/proc/config.gz', values: parsed.value };
      }
      tried.push({ path: '/proc/config.gz', status: 'error', reason: decoded.error });
    } else {
      tried.push({ path: '/proc/config.gz', status: fact.status, reason: fact.reason });
    }
  }
  acc.missing.push(...tried);
  return undefined;
}

async function loadModprobe(
  reader: HostReader,
  dirs: readonly string[],
  acc: Collector,
): Promise<{ directives: ModprobeDirective[]; files: string[] }> {
  const found: { dir: string; name: string }[] = [];
  for (const dir of dirs) {
    const listing = await reader.listDir(dir);
    if (listing.status !== 'ok') {
      if (listing.status !== 'absent') {
        acc.missing.push({ path: dir, status: listing.status, reason: listing.reason });
      }
      continue;
    }
    for (const entry of listing.entries) {
      found.push({ dir, name: entry.name });
    }
  }
  const directives: ModprobeDirective[] = [];
  const files: string[] = [];
  for (const f of orderModprobeFiles(found)) {
    if (f.shadowedBy !== undefined) {
      continue;
    }
    const path = `${f.dir}/${f.name}`;
    const text = await readText(reader, path, acc);
    if (text === undefined) {
      continue;
    }
    files.push(path);
    const parsed = parseModprobeD(text, path);
    acc.diagnostics.push(...parsed.diagnostics);
    directives.push(...parsed.value);
  }
  return { directives, files };
}

function parseRegistered(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  );
}

async function loadRegistered(reader: HostReader): Promise<Map<string, RegisteredExtensions> | undefined> {
  const files: Record<string, string> = {
    'ipv4/match': '/proc/net/ip_tables_matches',
    'ipv4/target': '/proc/net/ip_tables_targets',
    'ipv6/match': '/proc/net/ip6_tables_matches',
    'ipv6/target': '/proc/net/ip6_tables_targets',
  };
  const out = new Map<string, RegisteredExtensions>();
  for (const [key, path] of Object.entries(files)) {
    const fact = await reader.readFile(path);
    if (fact.status === 'ok') {
      out.set(key, { source: path, names: parseRegistered(fact.content.toString('utf8')) });
    }
  }
  return out.size === 0 ? undefined : out;
}

/** Key for `KernelView.registered`. */
export function registeredKey(family: Family, kind: 'match' | 'target'): string {
  return `${family}/${kind}`;
}

function decideModuleSupport(
  config: KernelView['config'],
  procModulesPresent: boolean | undefined,
): KernelView['moduleSupport'] {
  const sym = config?.values.get('CONFIG_MODULES');
  if (config !== undefined && sym !== undefined) {
    return { value: sym.value === 'y' ? 'yes' : 'no', source: config.file, line: sym.line };
  }
  if (config !== undefined) {
    // A config file that does not mention CONFIG_MODULES at all was built without it (kconfig writes
    // "# CONFIG_MODULES is not set" normally, but trimmed configs exist).
    return { value: 'no', source: config.file };
  }
  if (procModulesPresent === false) {
    // /proc/modules exists exactly when the kernel has CONFIG_MODULES (kernel/module/procfs.c).
    return { value: 'no', source: '/proc/modules' };
  }
  if (procModulesPresent === true) {
    return { value: 'yes', source: '/proc/modules' };
  }
  return { value: 'unknown' };
}

/** Reads and parses every input for one kernel through `reader`. Never throws on missing or bad input. */
export async function loadKernelView(reader: HostReader, layout: KernelLayout): Promise<KernelView> {
  const acc: Collector = { missing: [], diagnostics: [] };
  const dir = layout.modulesDir;

  const depFile = `${dir}/modules.dep`;
  const dep = parsedOnce(await readContent(reader, depFile, acc), 'dep', depFile, (b) =>
    readModulesDep(b.toString('utf8'), depFile),
  );
  const aliasFile = `${dir}/modules.alias`;
  const alias = parsedOnce(await readContent(reader, aliasFile, acc), 'alias', aliasFile, (b) =>
    readModulesAlias(b.toString('utf8'), aliasFile),
  );
  const softFile = `${dir}/modules.softdep`;
  const soft = parsedOnce(await readContent(reader, softFile, acc), 'softdep', softFile, (b) => {
    const p = parseModulesSoftdep(b.toString('utf8'), softFile);
    return {
      diagnostics: p.diagnostics,
      value: new Map(p.value.map((s) => [normalizeModuleName(s.module), { ...s, file: softFile }])),
    };
  });
  const builtinFile = `${dir}/modules.builtin`;
  const builtin = parsedOnce(await readContent(reader, builtinFile, acc), 'builtin', builtinFile, (b) => {
    const p = parseModulesBuiltin(b.toString('utf8'), builtinFile);
    return {
      diagnostics: p.diagnostics,
      value: new Map(
        p.value.map((x) => [normalizeModuleName(x.name), { file: builtinFile, line: x.line, path: x.path }]),
      ),
    };
  });
  const modinfoFile = `${dir}/modules.builtin.modinfo`;
  const modinfoFact = await reader.readFile(modinfoFile);
  const modinfo = parsedOnce(
    modinfoFact.status === 'ok' ? modinfoFact.content : undefined,
    'modinfo',
    modinfoFile,
    (b) => {
      const p = parseModulesBuiltinModinfo(b, modinfoFile);
      const list: ModuleAlias[] = p.value
        .filter((m) => m.key === 'alias')
        .map((m, i) => ({ pattern: m.value, module: m.module, line: i + 1 }));
      return { diagnostics: p.diagnostics, value: list.length === 0 ? undefined : buildAliasIndex(list) };
    },
  );
  for (const p of [dep, alias, soft, builtin, modinfo]) {
    if (p !== undefined) {
      acc.diagnostics.push(...p.diagnostics);
    }
  }

  const config = await loadConfig(reader, layout, acc);

  let loaded: KernelView['loaded'];
  let modulesDisabled: KernelView['modulesDisabled'];
  let cmdline: KernelView['cmdline'];
  let registered: KernelView['registered'];
  let procModulesPresent: boolean | undefined;
  if (layout.proc) {
    const procModules = await reader.readFile('/proc/modules');
    if (procModules.status === 'ok') {
      procModulesPresent = true;
      const parsed = parseProcModules(procModules.content.toString('utf8'), '/proc/modules');
      acc.diagnostics.push(...parsed.diagnostics);
      loaded = {
        source: '/proc/modules',
        modules: new Map(parsed.value.map((m) => [normalizeModuleName(m.name), m])),
      };
    } else {
      procModulesPresent = procModules.status === 'absent' ? false : undefined;
      acc.missing.push({ path: '/proc/modules', status: procModules.status, reason: procModules.reason });
      if (procModulesPresent === false) {
        loaded = { source: '/proc/modules (absent: kernel without module support)', modules: new Map() };
      }
    }
    const disabledText = await readText(reader, '/proc/sys/kernel/modules_disabled', acc);
    if (disabledText !== undefined) {
      modulesDisabled = {
        source: '/proc/sys/kernel/modules_disabled',
        disabled: disabledText.trim() === '1',
      };
    }
    const cmdText = await readText(reader, '/proc/cmdline', acc);
    if (cmdText !== undefined) {
      const parsed = parseKernelCmdline(cmdText, '/proc/cmdline');
      acc.diagnostics.push(...parsed.diagnostics);
      cmdline = { source: '/proc/cmdline', value: parsed.value };
    }
    registered = await loadRegistered(reader);
  }

  const modprobe = await loadModprobe(reader, layout.modprobeDirs, acc);
  const builtinAliases = modinfo?.value;

  const view: KernelView = {
    release: layout.release,
    sourceLabel: layout.sourceLabel,
    sourceKind: layout.sourceKind,
    modulesDir: dir,
    ...(dep === undefined ? {} : { deps: dep.value }),
    ...(alias === undefined ? {} : { aliases: alias.value }),
    ...(builtin === undefined ? {} : { builtin: builtin.value }),
    ...(builtinAliases === undefined ? {} : { builtinAliases }),
    softdeps: soft?.value ?? new Map(),
    ...(config === undefined ? {} : { config }),
    ...(loaded === undefined ? {} : { loaded }),
    ...(modulesDisabled === undefined ? {} : { modulesDisabled }),
    moduleSupport: decideModuleSupport(config, procModulesPresent),
    policy: buildModulePolicy(modprobe.directives, cmdline?.value),
    modprobeFiles: modprobe.files,
    ...(cmdline === undefined ? {} : { cmdline }),
    ...(registered === undefined ? {} : { registered }),
    missing: acc.missing,
    diagnostics: acc.diagnostics,
  };
  return view;
}

/**
 * Lists the directories that hold the given modules so that "listed in modules.dep but the file is gone"
 * can be told apart from "loadable". Returns the set of present relative paths, or undefined if no
 * directory could be listed (a snapshot without listings, say).
 */
export async function probeModuleFiles(
  reader: HostReader,
  view: KernelView,
  modules: Iterable<string>,
): Promise<Set<string> | undefined> {
  const dirs = new Set<string>();
  for (const m of modules) {
    const dep = view.deps?.get(normalizeModuleName(m));
    if (dep !== undefined) {
      dirs.add(dep.path.slice(0, Math.max(0, dep.path.lastIndexOf('/'))));
    }
  }
  const present = new Set<string>();
  let listedAny = false;
  for (const rel of dirs) {
    const listing = await reader.listDir(rel === '' ? view.modulesDir : `${view.modulesDir}/${rel}`);
    if (listing.status === 'ok') {
      listedAny = true;
      for (const e of listing.entries) {
        present.add(rel === '' ? e.name : `${rel}/${e.name}`);
      }
    } else if (listing.status === 'absent') {
      listedAny = true;
    }
  }
  return listedAny ? present : undefined;
}
