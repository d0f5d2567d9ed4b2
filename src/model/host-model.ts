// The host model: every fact the checks reason about, read once through a HostReader (live host, --root,
// snapshot) and parsed. Unavailable facts are recorded with their reason; nothing is guessed.
import { setRestoreUnits, type SetRestoreUnit } from './set-restore-units.ts';
import {
  readTextFile,
  type CommandFact,
  type DirFact,
  type FileStatus,
  type HostReader,
} from '../sources/host-reader.ts';
import { RELEVANT_UNITS, UNIT_DIRS, MODULES_LOAD_DIRS, SYSCTL_DIRS } from '../sources/registry.ts';
import { parseSysctlD, type SysctlEntry } from '../parsers/sysctl-d.ts';
import { parseOsRelease, type OsRelease } from '../parsers/os-release.ts';
import { parseIptablesSaveFamily, type Ruleset } from '../parsers/iptables-save.ts';
import { parseIpsetSave, type IpsetSave } from '../parsers/ipset-save.ts';
import { parseJournalJson, parseJournalShort, type JournalEntry } from '../parsers/journal.ts';
import { parseModulesLoad, orderModulesLoadFiles, type ModulesLoadEntry } from '../parsers/modules-load-d.ts';
import { parseShellVars, type ShellAssignment } from '../parsers/shell-vars.ts';
import { loadOpenRc, type OpenRc } from './openrc.ts';
import { parseSystemctlShow } from '../parsers/systemctl-show.ts';
import { parseSystemctlIsEnabled } from '../parsers/systemctl-text.ts';
import { resolveUnit, type EffectiveUnit, type UnitSource } from './units.ts';
import { checkRules, type CheckResult, type BackendChoice, type RulesInput } from '../resolve/check-rules.ts';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { detectHostBackend } from '../resolve/host-backend.ts';
import type { Family } from '../knowledge/extensions.ts';
import { splitBufferLines, splitLines, type Diagnostic } from '../parsers/types.ts';
import type { DirFact as InstalledListing } from '../sources/host-reader.ts';
import { loadKernelView, type KernelView } from '../resolve/kernel-view.ts';
import { compareKernelReleases } from '../resolve/kernel-release.ts';

export type LoaderId =
  | 'netfilter-persistent'
  | 'iptables-services'
  | 'arch-iptables'
  | 'openrc-iptables'
  | 'sysv-iptables'
  | 'ufw'
  | 'firewalld'
  | 'nftables';

export interface SavedRules {
  readonly path: string;
  readonly family: Family;
  readonly loader: LoaderId;
  readonly text: string;
  readonly ruleset: Ruleset;
  readonly diagnostics: readonly Diagnostic[];
}

export interface LiveRules {
  readonly id: string;
  readonly family: Family;
  readonly backend: 'default' | 'nft' | 'legacy';
  readonly fact: CommandFact;
  readonly ruleset?: Ruleset;
}

export interface UnitInfo {
  readonly name: string;
  readonly effective?: EffectiveUnit;
  /** `systemctl show` properties (Id, ActiveState, SubState, Result, LoadState, UnitFileState ...). */
  readonly show?: ReadonlyMap<string, string>;
  readonly showFact?: CommandFact;
  /** `systemctl is-enabled` (live/snapshot) or derived from .wants symlinks (--root). */
  readonly enabled?: { readonly state: string; readonly source: string };
  /** A drop-in directory of the unit could not be listed (a snapshot collects those of known units only). */
  readonly dropInsUnread?: true;
  readonly statusFact?: CommandFact;
}

export interface FileText {
  readonly path: string;
  readonly text: string;
}

export interface JournalView {
  readonly available: boolean;
  readonly reason?: string;
  readonly source: string;
  readonly entries: readonly JournalEntry[];
}

/** One kernel package as the package manager reports it (kmod/no-modules-dir). */
export interface KernelPackage {
  readonly name: string;
  readonly version: string;
  /** dpkg db:Status-Abbrev ("ii", "rc", "un" ...); "ii" for an rpm line. */
  readonly status: string;
}

/** Which kernels are installed: module trees, /boot images, kernel packages (kmod/no-modules-dir). */
export interface InstalledKernels {
  /** Listings of /lib/modules and /usr/lib/modules (status says when they could not be read). */
  readonly libModules: readonly InstalledListing[];
  /** Listing of /lib/modules/<running release> (and /usr/lib/...), when a release is known. */
  readonly runningTree: readonly InstalledListing[];
  readonly boot: InstalledListing;
  /** `dpkg-query` lines for linux-image-* / linux-modules-*; undefined when dpkg gave no answer. */
  readonly deb?: readonly KernelPackage[];
  /** `rpm -q` kernel / kernel-core lines that are installed; undefined when rpm gave no answer. */
  readonly rpm?: readonly KernelPackage[];
}

/** A kernel installed next to the running one: what it would give the saved rules after a reboot. */
export interface OtherKernel {
  readonly release: string;
  /** /boot/vmlinuz-RELEASE, when /boot lists it. */
  readonly image?: string;
  /** /lib/modules/RELEASE exists (listing of /lib/modules or /usr/lib/modules). */
  readonly tree: boolean;
  /** What reading its modules.dep gave: 'absent' with a tree means depmod never ran or files are gone. */
  readonly modulesDep: FileStatus;
  /** The saved rules resolved against this kernel's metadata (only with saved rules and a modules.dep). */
  readonly needs?: CheckResult;
}

/** GRUB's boot selection files, when readable. */
export interface BootLoaderFiles {
  readonly grubenv?: FileText;
  readonly grubCfg?: FileText;
  readonly defaultGrub?: FileText & { readonly vars: readonly ShellAssignment[] };
}

export interface HostModel {
  readonly source: { readonly kind: HostReader['kind']; readonly label: string };
  readonly release?: { readonly value: string; readonly source: string };
  readonly os?: OsRelease & { readonly source: string };
  /** systemd is PID 1 (live/snapshot: /run/systemd/system exists), or unit files exist (--root). */
  readonly systemd: boolean;
  readonly savedRules: readonly SavedRules[];
  readonly savedIpsets: readonly (FileText & { readonly parsed: IpsetSave })[];
  /** What the saved rules need and whether the running kernel can give it (`nfdoctor check` on the host). */
  readonly needs?: CheckResult;
  readonly backend?: BackendChoice;
  readonly liveRules: readonly LiveRules[];
  readonly units: ReadonlyMap<string, UnitInfo>;
  readonly journal: JournalView;
  readonly previousJournal: JournalView;
  readonly modulesLoad: { readonly entries: readonly ModulesLoadEntry[]; readonly files: readonly string[] };
  readonly nfpDefaults?: FileText & { readonly vars: readonly ShellAssignment[] };
  readonly sysconfigIptables?: FileText & { readonly vars: readonly ShellAssignment[] };
  /** /etc/sysconfig/ip6tables-config: the same settings with the IP6TABLES_ prefix (ip6tables.init). */
  readonly sysconfigIp6tables?: FileText & { readonly vars: readonly ShellAssignment[] };
  readonly netfilterPersistentPlugins: readonly string[];
  /** Whether the plugins.d listing was read ('ok'), is absent, or could not be read: [] above is only proof with 'ok'. */
  readonly netfilterPersistentPluginsStatus: DirFact['status'];
  /** What reading each saved rules and ipset file gave (ok, absent, permission-denied, not-collected ...). */
  readonly savedFileStatus: ReadonlyMap<string, { readonly status: FileStatus; readonly reason?: string }>;
  readonly virt?: string;
  readonly packages: ReadonlyMap<string, string>;
  readonly iptablesVersion?: string;
  readonly libModules?: readonly string[];
  readonly commands: ReadonlyMap<string, CommandFact>;
  readonly reader: HostReader;
  /** The running kernel's module metadata: `needs.kernel` when rules were checked, else loaded on its own. */
  readonly kernel?: KernelView;
  readonly installedKernels: InstalledKernels;
  /** Relevant unit names that are symlinks to another unit (Debian: iptables.service -> netfilter-persistent). */
  readonly unitAliases: ReadonlyMap<string, { readonly target: string; readonly path: string }>;
  /** nftables.service's ruleset file (/etc/nftables.conf, /etc/sysconfig/nftables.conf), when readable. */
  readonly nftablesConf?: FileText;
  /** Installed kernels other than the running one, newest first. */
  readonly otherKernels: readonly OtherKernel[];
  readonly bootLoader: BootLoaderFiles;
  /** OpenRC's iptables/ip6tables services (Alpine, Gentoo) and the boot runlevels, when the host has them. */
  readonly openrc: OpenRc;
  /** Admin units (/etc/systemd/system/*.service), /etc/rc.local and ifupdown hooks: what else runs at boot. */
  readonly bootScripts: readonly FileText[];
  /** Those admin units that restore ipsets (their units are in `units`, their set files in `savedIpsets`). */
  readonly setRestoreUnits: readonly SetRestoreUnit[];
  /** sysctl settings systemd-sysctl applies at boot, in the order it applies them (sysctl.d(5)). */
  readonly sysctl: readonly (SysctlEntry & { readonly file: string })[];
  /**
   * The exact text of every configuration file read (modprobe.d, modules-load.d, units and drop-ins, sysctl.d,
   * saved rules ...), by path: a fix that edits a line must name the line exactly as it is, not as parsed.
   */
  readonly fileText: ReadonlyMap<string, string>;
}

/** Saved rule files and who restores them, per distribution layout. */
export const SAVED_RULES_LAYOUT: readonly { path: string; family: Family; loader: LoaderId }[] = [
  { path: '/etc/iptables/rules.v4', family: 'ipv4', loader: 'netfilter-persistent' },
  { path: '/etc/iptables/rules.v6', family: 'ipv6', loader: 'netfilter-persistent' },
  { path: '/etc/sysconfig/iptables', family: 'ipv4', loader: 'iptables-services' },
  { path: '/etc/sysconfig/ip6tables', family: 'ipv6', loader: 'iptables-services' },
  { path: '/etc/iptables/iptables.rules', family: 'ipv4', loader: 'arch-iptables' },
  { path: '/etc/iptables/ip6tables.rules', family: 'ipv6', loader: 'arch-iptables' },
];

const IPSET_FILES = ['/etc/iptables/ipsets', '/etc/sysconfig/ipset'];

async function findRelease(reader: HostReader): Promise<HostModel['release']> {
  if (reader.kind !== 'root') {
    const uname = await reader.runCommand('uname-r');
    if (uname.status === 'ok' && uname.stdout.trim() !== '') {
      return { value: uname.stdout.trim(), source: 'command: uname -r' };
    }
    const osrelease = await readTextFile(reader, '/proc/sys/kernel/osrelease');
    if (osrelease !== undefined && osrelease.trim() !== '') {
      return { value: osrelease.trim(), source: '/proc/sys/kernel/osrelease' };
    }
    // 'not-available': a snapshot the collector took of a mounted root (--root), which runs no command.
    if (uname.status !== 'not-available') {
      return undefined;
    }
  }
  // A mounted disk has no running kernel; with exactly one kernel installed, that is the one it boots.
  const dirs = await reader.listDir('/lib/modules');
  if (dirs.status !== 'ok') {
    return undefined;
  }
  const names = dirs.entries.filter((e) => e.type === 'dir').map((e) => e.name);
  return names.length === 1 && names[0] !== undefined
    ? { value: names[0], source: '/lib/modules' }
    : undefined;
}

async function loadUnit(reader: HostReader, name: string): Promise<UnitInfo> {
  const fragments: UnitSource[] = [];
  const dropIns: UnitSource[] = [];
  let dropInsUnread = false;
  let masked: { path: string } | undefined;
  for (const dir of UNIT_DIRS) {
    const listing = await reader.listDir(dir);
    if (listing.status === 'ok') {
      const entry = listing.entries.find((e) => e.name === name);
      if (entry?.type === 'symlink' && entry.target === '/dev/null') {
        masked ??= { path: `${dir}/${name}` };
      }
    }
    const text = await readTextFile(reader, `${dir}/${name}`);
    if (text !== undefined) {
      fragments.push({ path: `${dir}/${name}`, text });
    }
    const dropDir = await reader.listDir(`${dir}/${name}.d`);
    dropInsUnread ||= dropDir.status === 'not-collected';
    if (dropDir.status === 'ok') {
      for (const e of dropDir.entries.filter((x) => x.name.endsWith('.conf'))) {
        const t = await readTextFile(reader, `${dir}/${name}.d/${e.name}`);
        if (t !== undefined) {
          dropIns.push({ path: `${dir}/${name}.d/${e.name}`, text: t });
        }
      }
    }
  }
  const effective =
    fragments.length > 0 || masked !== undefined
      ? resolveUnit(name, { fragments, dropIns, ...(masked === undefined ? {} : { masked }) })
      : undefined;
  const short = name.replace(/\.service$/, '');
  const showFact = await reader.runCommand(`systemctl.show.${short}`);
  const show =
    showFact.status === 'ok'
      ? parseSystemctlShow(showFact.stdout, `systemctl show ${name}`).value[0]
      : undefined;
  const enabledFact = await reader.runCommand(`systemctl.is-enabled.${short}`);
  const enabledState =
    enabledFact.status === 'ok' || enabledFact.status === 'exit-nonzero'
      ? parseSystemctlIsEnabled(enabledFact.stdout, `systemctl is-enabled ${name}`).value[0]?.state
      : undefined;
  const enabled =
    enabledState !== undefined
      ? { state: enabledState, source: `command: systemctl is-enabled ${name}` }
      : await enabledFromLinks(reader, name, masked);
  const statusFact = await reader.runCommand(`systemctl.status.${short}`);
  return {
    name,
    ...(effective === undefined ? {} : { effective }),
    ...(show === undefined ? {} : { show }),
    showFact,
    ...(enabled === undefined ? {} : { enabled }),
    ...(dropInsUnread ? { dropInsUnread: true as const } : {}),
    statusFact,
  };
}

/** Without systemctl (a mounted disk), enablement is the .wants/ symlinks in /etc/systemd/system. */
async function enabledFromLinks(
  reader: HostReader,
  name: string,
  masked: { path: string } | undefined,
): Promise<UnitInfo['enabled']> {
  if (masked !== undefined) {
    return { state: 'masked', source: `${masked.path} -> /dev/null` };
  }
  const etc = await reader.listDir('/etc/systemd/system');
  if (etc.status !== 'ok') {
    return undefined;
  }
  for (const e of etc.entries.filter((x) => x.name.endsWith('.wants') || x.name.endsWith('.requires'))) {
    const wants = await reader.listDir(`/etc/systemd/system/${e.name}`);
    if (wants.status === 'ok' && wants.entries.some((w) => w.name === name)) {
      return { state: 'enabled', source: `/etc/systemd/system/${e.name}/${name}` };
    }
  }
  return undefined;
}

/**
 * How evidence names the journal: `journalctl -b` on the host itself, and with the directory it read for a
 * mounted root (journalctl --directory=DIR, see RootReader), so that the command can be run again as shown.
 */
function journalLabel(fact: CommandFact, onHost: string): string {
  const dir = fact.argv.find((a) => a.startsWith('--directory='))?.slice('--directory='.length);
  return dir === undefined ? onHost : `journalctl -D ${dir} ${fact.argv.includes('-1') ? '-b -1' : '-b -0'}`;
}

function journalFrom(fact: CommandFact, label: string): JournalView {
  if (fact.status !== 'ok') {
    return {
      available: false,
      reason: `${fact.status}${fact.reason === undefined ? '' : `: ${fact.reason}`}`,
      source: label,
      entries: [],
    };
  }
  // From the stored bytes where there are some: a journal is hundreds of KB, and split line by line it never
  // becomes one string (splitBufferLines).
  const lines = fact.stdoutBytes === undefined ? splitLines(fact.stdout) : splitBufferLines(fact.stdoutBytes);
  const json =
    lines
      .find((l) => l.trim() !== '')
      ?.trimStart()
      .startsWith('{') === true;
  const parsed = json ? parseJournalJson(lines, label) : parseJournalShort(lines, label);
  return { available: true, source: label, entries: parsed.value };
}

async function loadModulesLoad(reader: HostReader): Promise<HostModel['modulesLoad']> {
  const candidates: { dir: string; name: string; isSymlinkTo?: string }[] = [];
  for (const dir of MODULES_LOAD_DIRS) {
    const listing = await reader.listDir(dir);
    if (listing.status === 'ok') {
      for (const e of listing.entries) {
        candidates.push({ dir, name: e.name, ...(e.target === undefined ? {} : { isSymlinkTo: e.target }) });
      }
    }
  }
  const entries: ModulesLoadEntry[] = [];
  const files: string[] = [];
  for (const f of orderModulesLoadFiles(candidates).files) {
    if (f.masked) {
      continue;
    }
    const text = await readTextFile(reader, f.path);
    if (text !== undefined) {
      files.push(f.path);
      entries.push(...parseModulesLoad(text, f.path).value);
    }
  }
  return { entries, files };
}

function parsePackages(fact: CommandFact): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fact.stdout.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name !== undefined && version !== undefined && version !== '' && (status ?? 'ii').startsWith('ii')) {
      out.set(name, version);
    }
  }
  return out;
}

function parseKernelPackages(fact: CommandFact): KernelPackage[] {
  const out: KernelPackage[] = [];
  for (const line of fact.stdout.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name !== undefined && /^linux-(image|modules)-/.test(name)) {
      out.push({ name, version: version ?? '', status: (status ?? 'ii').trim() });
    }
  }
  return out;
}

/** `rpm -q kernel kernel-core ...`: "kernel-core-5.14.0-362.8.1.el9_3.x86_64" per installed package. */
function parseRpmKernels(fact: CommandFact): KernelPackage[] {
  const out: KernelPackage[] = [];
  for (const line of fact.stdout.split('\n').map((l) => l.trim())) {
    const m = /^(kernel(?:-core|-modules(?:-core|-extra)?)?)-(\d.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      out.push({ name: m[1], version: m[2], status: 'ii' });
    }
  }
  return out;
}

async function loadInstalledKernels(
  reader: HostReader,
  release: string | undefined,
  dpkg: CommandFact,
  rpm: CommandFact,
): Promise<InstalledKernels> {
  const answered = (f: CommandFact): boolean =>
    (f.status === 'ok' || f.status === 'exit-nonzero') && f.stdout.trim() !== '';
  const libModules = [await reader.listDir('/lib/modules'), await reader.listDir('/usr/lib/modules')];
  const runningTree =
    release === undefined
      ? []
      : [
          await reader.listDir(`/lib/modules/${release}`),
          await reader.listDir(`/usr/lib/modules/${release}`),
        ];
  return {
    libModules,
    runningTree,
    boot: await reader.listDir('/boot'),
    ...(answered(dpkg) ? { deb: parseKernelPackages(dpkg) } : {}),
    ...(answered(rpm) ? { rpm: parseRpmKernels(rpm) } : {}),
  };
}

/** Relevant unit names that are symlinks to a differently named unit in the unit search path. */
async function loadUnitAliases(reader: HostReader): Promise<Map<string, { target: string; path: string }>> {
  const out = new Map<string, { target: string; path: string }>();
  for (const dir of UNIT_DIRS) {
    const listing = await reader.listDir(dir);
    if (listing.status !== 'ok') {
      continue;
    }
    for (const e of listing.entries) {
      const target = e.target?.replace(/^.*\//, '');
      if (
        e.type === 'symlink' &&
        target !== undefined &&
        target !== e.name &&
        target.endsWith('.service') &&
        (RELEVANT_UNITS as readonly string[]).includes(e.name) &&
        !out.has(e.name)
      ) {
        out.set(e.name, { target, path: `${dir}/${e.name}` });
      }
    }
  }
  return out;
}

const LIVE_RULE_COMMANDS: readonly { id: string; family: Family; backend: LiveRules['backend'] }[] = [
  { id: 'iptables-save.default', family: 'ipv4', backend: 'default' },
  { id: 'iptables-save.nft', family: 'ipv4', backend: 'nft' },
  { id: 'iptables-save.legacy', family: 'ipv4', backend: 'legacy' },
  { id: 'ip6tables-save.default', family: 'ipv6', backend: 'default' },
  { id: 'ip6tables-save.nft', family: 'ipv6', backend: 'nft' },
  { id: 'ip6tables-save.legacy', family: 'ipv6', backend: 'legacy' },
];

function shellVarsFile(path: string, text: string): FileText & { readonly vars: readonly ShellAssignment[] } {
  return { path, text, vars: parseShellVars(text, path).value };
}

/** Paths whose text is kept in HostModel.fileText: configuration, not kernel metadata or /proc. */
function keepsText(path: string): boolean {
  return !/^\/(proc|sys|boot|run\/systemd\/system)\/|^\/(usr\/)?lib\/modules\//.test(path);
}

/**
 * The same reader, remembering the text of every configuration file it returns. Each directory is listed once:
 * the unit search path is looked through for every relevant unit, and one model is one moment of the host.
 */
function recordingReader(reader: HostReader, texts: Map<string, string>): HostReader {
  const listings = new Map<string, Promise<DirFact>>();
  return {
    kind: reader.kind,
    label: reader.label,
    readFile: async (path) => {
      const f = await reader.readFile(path);
      if (f.status === 'ok' && keepsText(path)) {
        texts.set(path, f.content.toString('utf8'));
      }
      return f;
    },
    listDir: (path) => {
      let listing = listings.get(path);
      if (listing === undefined) {
        listing = reader.listDir(path);
        listings.set(path, listing);
      }
      return listing;
    },
    runCommand: (id) => reader.runCommand(id),
  };
}

export async function buildHostModel(original: HostReader): Promise<HostModel> {
  const fileText = new Map<string, string>();
  const reader = recordingReader(original, fileText);
  const commands = new Map<string, CommandFact>();
  const run = async (id: string): Promise<CommandFact> => {
    const fact = await reader.runCommand(id);
    commands.set(id, fact);
    return fact;
  };
  const release = await findRelease(reader);
  // os-release(5): /etc/os-release, else /usr/lib/os-release.
  const etcOs = await readTextFile(reader, '/etc/os-release');
  const osPath = etcOs !== undefined ? '/etc/os-release' : '/usr/lib/os-release';
  const osText = etcOs ?? (await readTextFile(reader, osPath));
  const os = osText === undefined ? undefined : { ...parseOsRelease(osText, osPath).value, source: osPath };

  // Each saved file is read once: its status (absent, permission-denied ...) and, when readable, its text.
  const savedFileStatus = new Map<string, { status: FileStatus; reason?: string }>();
  const readSaved = async (path: string): Promise<string | undefined> => {
    const f = await reader.readFile(path);
    savedFileStatus.set(path, f.status === 'ok' ? { status: 'ok' } : { status: f.status, reason: f.reason });
    return f.status === 'ok' ? f.content.toString('utf8') : undefined;
  };
  const savedRules: SavedRules[] = [];
  for (const l of SAVED_RULES_LAYOUT) {
    const text = await readSaved(l.path);
    if (text !== undefined) {
      const parsed = parseIptablesSaveFamily(text, l.path, l.family);
      savedRules.push({ ...l, text, ruleset: parsed.value, diagnostics: parsed.diagnostics });
    }
  }
  // OpenRC's services (Alpine, Gentoo) restore the file their conf.d names.
  const openrc = await loadOpenRc(reader);
  for (const l of openrc.loaders) {
    const text = savedRules.some((r) => r.path === l.savePath) ? undefined : await readSaved(l.savePath);
    if (text !== undefined) {
      const parsed = parseIptablesSaveFamily(text, l.savePath, l.family);
      savedRules.push({
        path: l.savePath,
        family: l.family,
        loader: 'openrc-iptables',
        text,
        ruleset: parsed.value,
        diagnostics: parsed.diagnostics,
      });
    }
  }
  const bootScripts = await loadBootScripts(reader);
  const setRestorers = setRestoreUnits(bootScripts);
  const savedIpsets: (FileText & { parsed: IpsetSave })[] = [];
  const ownSetFiles = setRestorers.flatMap((u) => (u.file === undefined ? [] : [u.file]));
  for (const path of [...new Set([...IPSET_FILES, ...ownSetFiles])]) {
    const text = await readSaved(path);
    if (text !== undefined) {
      savedIpsets.push({ path, text, parsed: parseIpsetSave(text, path).value });
    }
  }

  const backend = await detectHostBackend(reader);
  const needs =
    release === undefined || savedRules.length === 0
      ? undefined
      : await checkRules({
          rules: rulesInputs(savedRules),
          ipsets: savedIpsets.map((s) => ({ path: s.path, text: s.text })),
          kernelReader: reader,
          layout: hostKernelLayout(release.value, reader.kind, reader.label),
          userspaceReader: reader,
          accountsReader: reader,
          ...(backend === undefined ? {} : { hostBackend: backend }),
        });

  const liveRules: LiveRules[] = [];
  for (const c of LIVE_RULE_COMMANDS) {
    const fact = await run(c.id);
    const ruleset =
      fact.status === 'ok'
        ? parseIptablesSaveFamily(fact.stdout + fact.stderr, `command: ${fact.argv.join(' ')}`, c.family)
            .value
        : undefined;
    liveRules.push({ ...c, fact, ...(ruleset === undefined ? {} : { ruleset }) });
  }

  const units = new Map<string, UnitInfo>();
  for (const u of [...RELEVANT_UNITS, ...setRestorers.map((r) => r.unit)]) {
    units.set(u, units.get(u) ?? (await loadUnit(reader, u)));
  }
  // Read by checks through `commands`: failed units (loader/restore-failed quotes the loader's row).
  await run('systemctl.failed');
  const bootFact = await run('journal.boot');
  const journal = journalFrom(bootFact, journalLabel(bootFact, 'journalctl -b'));
  // No check reads the previous boot's journal yet: it is parsed only when something asks for it.
  const previousJournalFact = await run('journal.prev-boot');
  let previousJournal: JournalView | undefined;
  const nfpText = await readTextFile(reader, '/etc/default/netfilter-persistent');
  const sysconfigText = await readTextFile(reader, '/etc/sysconfig/iptables-config');
  const sysconfig6Text = await readTextFile(reader, '/etc/sysconfig/ip6tables-config');
  // Kept in fileText for loader/unit-config: what the last iptables.init save() replaced.
  await readTextFile(reader, '/etc/sysconfig/iptables.save');
  await readTextFile(reader, '/etc/sysconfig/ip6tables.save');
  const plugins = await reader.listDir('/usr/share/netfilter-persistent/plugins.d');
  const virt = await run('systemd-detect-virt');
  const dpkg = await run('dpkg-query');
  const version = await run('iptables-version');
  // Read by checks through `commands`: the alternatives choice (Debian) and the live ipsets.
  await run('update-alternatives.iptables');
  await run('ipset-save');
  const libModules = await reader.listDir('/lib/modules');
  const rpm = await run('rpm-q');
  const installedKernels = await loadInstalledKernels(reader, release?.value, dpkg, rpm);
  const kernel =
    needs?.kernel ??
    (release === undefined
      ? undefined
      : await loadKernelView(reader, hostKernelLayout(release.value, reader.kind, reader.label)));
  const sysctl = await loadSysctl(reader);
  let nftablesConf: FileText | undefined;
  for (const path of ['/etc/nftables.conf', '/etc/sysconfig/nftables.conf']) {
    const text = nftablesConf === undefined ? await readTextFile(reader, path) : undefined;
    if (text !== undefined) {
      nftablesConf = { path, text };
    }
  }
  const runSystemd = await reader.listDir('/run/systemd/system');
  const otherKernels = await loadOtherKernels(reader, release?.value, installedKernels, savedRules, backend);
  const bootLoader = await loadBootLoader(reader);

  return {
    source: { kind: reader.kind, label: reader.label },
    ...(release === undefined ? {} : { release }),
    ...(os === undefined ? {} : { os }),
    systemd:
      reader.kind === 'root'
        ? [...units.values()].some((u) => u.effective !== undefined)
        : runSystemd.status === 'ok',
    savedRules,
    savedIpsets,
    ...(needs === undefined ? {} : { needs }),
    ...(backend === undefined ? {} : { backend }),
    liveRules,
    units,
    journal,
    get previousJournal(): JournalView {
      previousJournal ??= journalFrom(
        previousJournalFact,
        journalLabel(previousJournalFact, 'journalctl -b -1'),
      );
      return previousJournal;
    },
    modulesLoad: await loadModulesLoad(reader),
    ...(nfpText === undefined
      ? {}
      : { nfpDefaults: shellVarsFile('/etc/default/netfilter-persistent', nfpText) }),
    ...(sysconfigText === undefined
      ? {}
      : { sysconfigIptables: shellVarsFile('/etc/sysconfig/iptables-config', sysconfigText) }),
    ...(sysconfig6Text === undefined
      ? {}
      : { sysconfigIp6tables: shellVarsFile('/etc/sysconfig/ip6tables-config', sysconfig6Text) }),
    netfilterPersistentPlugins: plugins.status === 'ok' ? plugins.entries.map((e) => e.name).sort() : [],
    netfilterPersistentPluginsStatus: plugins.status,
    savedFileStatus,
    ...(virt.status === 'ok' || virt.status === 'exit-nonzero' ? { virt: virt.stdout.trim() } : {}),
    packages: dpkg.status === 'ok' || dpkg.status === 'exit-nonzero' ? parsePackages(dpkg) : new Map(),
    ...(version.status === 'ok' ? { iptablesVersion: (version.stdout + version.stderr).trim() } : {}),
    ...(libModules.status === 'ok' ? { libModules: libModules.entries.map((e) => e.name).sort() } : {}),
    commands,
    reader: original,
    ...(kernel === undefined ? {} : { kernel }),
    installedKernels,
    unitAliases: await loadUnitAliases(reader),
    ...(nftablesConf === undefined ? {} : { nftablesConf }),
    sysctl,
    openrc,
    bootScripts,
    setRestoreUnits: setRestorers,
    otherKernels,
    bootLoader,
    fileText,
  };
}

async function loadBootLoader(reader: HostReader): Promise<BootLoaderFiles> {
  const first = async (paths: readonly string[]): Promise<FileText | undefined> => {
    for (const path of paths) {
      const text = await readTextFile(reader, path);
      if (text !== undefined) {
        return { path, text };
      }
    }
    return undefined;
  };
  const grubenv = await first(['/boot/grub/grubenv', '/boot/grub2/grubenv']);
  const grubCfg = await first(['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg']);
  const def = await first(['/etc/default/grub']);
  return {
    ...(grubenv === undefined ? {} : { grubenv }),
    ...(grubCfg === undefined ? {} : { grubCfg }),
    ...(def === undefined ? {} : { defaultGrub: shellVarsFile(def.path, def.text) }),
  };
}

/** Every kernel with a module tree or a /boot image that is not the running one, newest first. */
async function loadOtherKernels(
  reader: HostReader,
  running: string | undefined,
  installed: InstalledKernels,
  savedRules: readonly SavedRules[],
  backend: BackendChoice | undefined,
): Promise<OtherKernel[]> {
  const trees = new Set(
    installed.libModules.flatMap((l) =>
      l.status === 'ok' ? l.entries.filter((e) => e.type !== 'file').map((e) => e.name) : [],
    ),
  );
  const images = new Map<string, string>();
  if (installed.boot.status === 'ok') {
    for (const e of installed.boot.entries) {
      const m = /^vmlinuz-(.+)$/.exec(e.name);
      if (m?.[1] !== undefined) {
        images.set(m[1], `/boot/${e.name}`);
      }
    }
  }
  const releases = [...new Set([...trees, ...images.keys()])]
    .filter((r) => r !== running)
    .sort((a, b) => compareKernelReleases(b, a));
  const out: OtherKernel[] = [];
  for (const release of releases) {
    const dep = await reader.readFile(`/lib/modules/${release}/modules.dep`);
    const image = images.get(release);
    const needs =
      savedRules.length === 0 || dep.status !== 'ok'
        ? undefined
        : await checkRules({
            rules: rulesInputs(savedRules),
            ipsets: [],
            kernelReader: reader,
            // Another kernel is not running: no /proc facts, only its files and the host's modprobe.d.
            layout: hostKernelLayout(release, 'root', reader.label),
            ...(backend === undefined ? {} : { hostBackend: backend }),
          });
    out.push({
      release,
      ...(image === undefined ? {} : { image }),
      tree: trees.has(release),
      modulesDep: dep.status,
      ...(needs === undefined ? {} : { needs }),
    });
  }
  return out;
}

/** The saved rules as checkRules takes them, already parsed. */
function rulesInputs(savedRules: readonly SavedRules[]): RulesInput[] {
  return savedRules.map((r) => ({
    path: r.path,
    text: r.text,
    family: r.family,
    parsed: { value: r.ruleset, diagnostics: r.diagnostics },
  }));
}

/** Regular files of the registry's local-units, boot-scripts and ifupdown-scripts facts. */
async function loadBootScripts(reader: HostReader): Promise<FileText[]> {
  const paths: string[] = ['/etc/rc.local'];
  for (const [dir, pattern] of [
    ['/etc/systemd/system', /\.service$/],
    ['/etc/network/if-pre-up.d', /./],
    ['/etc/network/if-up.d', /./],
  ] as const) {
    const listing = await reader.listDir(dir);
    if (listing.status === 'ok') {
      paths.push(
        ...listing.entries
          .filter((e) => e.type === 'file' && pattern.test(e.name))
          .map((e) => `${dir}/${e.name}`)
          .sort(),
      );
    }
  }
  const out: FileText[] = [];
  for (const path of paths) {
    const text = await readTextFile(reader, path);
    if (text !== undefined) {
      out.push({ path, text });
    }
  }
  return out;
}

/** Saved rules files that exist (or may) but could not be read: a reason to say "unknown", never "none". */
export function unreadableSavedRules(
  model: HostModel,
): { path: string; status: FileStatus; reason?: string }[] {
  return SAVED_RULES_LAYOUT.flatMap((l) => {
    const s = model.savedFileStatus.get(l.path);
    return s === undefined || s.status === 'ok' || s.status === 'absent' ? [] : [{ path: l.path, ...s }];
  });
}

/**
 * sysctl.d(5): *.conf from all directories sorted by file name, a name in a higher-priority directory hiding
 * the same name elsewhere; /etc/sysctl.conf is read last by systemd-sysctl (it is linked as 99-sysctl.conf
 * on Debian, which the name shadowing takes care of).
 */
async function loadSysctl(reader: HostReader): Promise<(SysctlEntry & { file: string })[]> {
  const byName = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    const listing = await reader.listDir(dir);
    if (listing.status !== 'ok') {
      continue;
    }
    for (const e of listing.entries) {
      if (e.name.endsWith('.conf') && !byName.has(e.name)) {
        byName.set(e.name, `${dir}/${e.name}`);
      }
    }
  }
  const paths = [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
  const out: (SysctlEntry & { file: string })[] = [];
  for (const path of [...paths, '/etc/sysctl.conf']) {
    const text = await readTextFile(reader, path);
    if (text !== undefined) {
      out.push(...parseSysctlD(text, path).value.map((e) => ({ ...e, file: path })));
    }
  }
  return out;
}
