// The snapshot HostReader: answers readFile / listDir / runCommand from a tarball written by
// collector/nfdoctor-collect.sh, resolving symlinks inside the snapshot exactly as the live and --root
// readers resolve them on disk. What the collector looked at and could not read comes back with the
// collector's status and reason; what it never looked at comes back as 'not-collected'.
import { readFileSync, statSync } from 'node:fs';
import { basename as pathBasename } from 'node:path';
import { describeOther, resolveRequest, sortEntries } from './fs-tree.ts';
import type {
  CommandFact,
  CommandStatus,
  DirEntry,
  DirFact,
  FileFact,
  FileStatus,
  HostReader,
} from './host-reader.ts';
import { findCommand } from './registry.ts';
import { basename, dirname, normalizePath, type NodeKind, type TreeLookup } from './resolve.ts';
import {
  DEFAULT_LIMITS,
  readArchive,
  rootPath,
  SnapshotError,
  type ArchiveContents,
  type SnapshotLimits,
} from './snapshot-archive.ts';

export { SnapshotError, DEFAULT_LIMITS, type SnapshotLimits } from './snapshot-archive.ts';

export const SUPPORTED_SCHEMA_VERSION = 1;

export interface ManifestCommand {
  readonly id: string;
  readonly argv: readonly string[];
  readonly status: CommandStatus;
  readonly exitCode?: number;
  readonly reason?: string;
}

export interface SnapshotManifest {
  readonly schemaVersion: 1;
  readonly collector: string;
  readonly collectorVersion: string;
  readonly time: string;
  readonly hostname: string;
  readonly uname: string;
  /** The --root DIR the collector read, or null for a live host. */
  readonly root: string | null;
  readonly uid: number;
  readonly kernelReleases: readonly string[];
  readonly commands: readonly ManifestCommand[];
  readonly warnings: readonly string[];
}

const COMMAND_STATUSES: ReadonlySet<string> = new Set<CommandStatus>([
  'ok',
  'exit-nonzero',
  'missing',
  'timeout',
  'permission-denied',
  'not-available',
  'skipped',
  'error',
]);
const FILE_STATUSES: ReadonlySet<string> = new Set<FileStatus>([
  'ok',
  'absent',
  'permission-denied',
  'not-a-file',
  'too-large',
  'not-collected',
  'error',
]);
const ENTRY_TYPES: ReadonlySet<string> = new Set(['file', 'dir', 'symlink', 'other']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v != null && !Array.isArray(v);
}

function parseManifest(buf: Buffer | undefined, what: string): SnapshotManifest {
  if (buf === undefined) {
    throw new SnapshotError(`${what}: manifest.json is missing (not an nfdoctor snapshot?)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new SnapshotError(
      `${what}: manifest.json is not valid JSON (${e instanceof Error ? e.message : ''})`,
    );
  }
  const bad = (field: string, want: string): SnapshotError =>
    new SnapshotError(`${what}: manifest.json: "${field}" is missing or not ${want}`);
  if (!isRecord(raw)) {
    throw new SnapshotError(`${what}: manifest.json is not a JSON object`);
  }
  const v = raw.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw bad('schemaVersion', 'a positive integer');
  }
  if (v > SUPPORTED_SCHEMA_VERSION) {
    throw new SnapshotError(
      `${what}: snapshot schema version ${v} is newer than this nfdoctor reads (${SUPPORTED_SCHEMA_VERSION}); upgrade nfdoctor`,
    );
  }
  const str = (k: string): string => {
    const s = raw[k];
    if (typeof s !== 'string') {
      throw bad(k, 'a string');
    }
    return s;
  };
  const strArray = (x: unknown, k: string): string[] => {
    if (!Array.isArray(x) || !x.every((s) => typeof s === 'string')) {
      throw bad(k, 'an array of strings');
    }
    return x;
  };
  if (!('root' in raw) || (raw.root != null && typeof raw.root !== 'string')) {
    throw bad('root', 'a string or null');
  }
  const root = typeof raw.root === 'string' ? raw.root : null;
  const uid = raw.uid;
  if (typeof uid !== 'number' || !Number.isInteger(uid)) {
    throw bad('uid', 'an integer');
  }
  if (!Array.isArray(raw.commands)) {
    throw bad('commands', 'an array');
  }
  const seen = new Set<string>();
  const commands = raw.commands.map((c: unknown, i): ManifestCommand => {
    const k = `commands[${i}]`;
    if (!isRecord(c) || typeof c.id !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(c.id)) {
      throw bad(`${k}.id`, 'a command id');
    }
    if (seen.has(c.id)) {
      throw new SnapshotError(`${what}: manifest.json: command "${c.id}" listed twice`);
    }
    seen.add(c.id);
    if (typeof c.status !== 'string' || !COMMAND_STATUSES.has(c.status)) {
      throw bad(`${k}.status`, 'a command status');
    }
    if (c.exitCode !== undefined && (typeof c.exitCode !== 'number' || !Number.isInteger(c.exitCode))) {
      throw bad(`${k}.exitCode`, 'an integer');
    }
    if (c.reason !== undefined && typeof c.reason !== 'string') {
      throw bad(`${k}.reason`, 'a string');
    }
    return {
      id: c.id,
      argv: strArray(c.argv, `${k}.argv`),
      status: c.status as CommandStatus,
      ...(typeof c.exitCode === 'number' ? { exitCode: c.exitCode } : {}),
      ...(typeof c.reason === 'string' && c.reason !== '' ? { reason: c.reason } : {}),
    };
  });
  return {
    schemaVersion: 1,
    collector: str('collector'),
    collectorVersion: str('collectorVersion'),
    time: str('time'),
    hostname: str('hostname'),
    uname: str('uname'),
    root,
    uid,
    kernelReleases: strArray(raw.kernelReleases, 'kernelReleases'),
    commands,
    warnings: raw.warnings === undefined ? [] : strArray(raw.warnings, 'warnings'),
  };
}

/** Rows of a TSV table; each row must have `min`..`max` fields and absolute paths in the first one. */
function tsv(buf: Buffer | undefined, name: string, what: string, min: number, max: number): string[][] {
  if (buf === undefined) {
    throw new SnapshotError(`${what}: ${name} is missing`);
  }
  const rows: string[][] = [];
  const lines = buf.toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (line === '') {
      return;
    }
    const f = line.split('\t');
    while (f.length < max && f.length >= min) {
      f.push('');
    }
    if (f.length < min || f.length > max || !(f[0] ?? '').startsWith('/')) {
      throw new SnapshotError(`${what}: ${name} line ${i + 1} is malformed`);
    }
    rows.push(f);
  });
  return rows;
}

interface Record_ {
  readonly status: FileStatus;
  readonly reason: string;
}

export class SnapshotReader implements HostReader, TreeLookup {
  readonly kind = 'snapshot' as const;
  readonly label: string;
  readonly manifest: SnapshotManifest;
  private readonly files = new Map<string, Buffer>();
  private readonly dirs = new Set<string>(['/']);
  private readonly links = new Map<string, string>();
  private readonly listings = new Map<string, readonly DirEntry[]>();
  private readonly fileRecords = new Map<string, Record_>();
  private readonly dirRecords = new Map<string, Record_>();
  /** Command output as stored; decoded into `decoded` when a fact's stdout/stderr is first read (journals are large). */
  private readonly stdout = new Map<string, Buffer>();
  private readonly stderr = new Map<string, Buffer>();
  private readonly decoded = new Map<Buffer, string>();

  constructor(archive: ArchiveContents, label: string) {
    this.label = label;
    const what = label;
    this.manifest = parseManifest(archive.files.get('manifest.json'), what);
    for (const [name, buf] of archive.files) {
      if (name.startsWith('root/')) {
        const p = rootPath(name);
        this.files.set(p, buf);
        for (let d = dirname(p); d !== '/'; d = dirname(d)) {
          this.dirs.add(d);
        }
      } else if (name.startsWith('commands/')) {
        const file = name.slice('commands/'.length);
        const m = /^(.+)\.(stdout|stderr)$/.exec(file);
        if (m?.[1] === undefined) {
          throw new SnapshotError(`${what}: unexpected entry ${JSON.stringify(name)}`);
        }
        (m[2] === 'stdout' ? this.stdout : this.stderr).set(m[1], buf);
      }
    }
    for (const d of archive.dirs) {
      if (d.startsWith('root/')) {
        this.dirs.add(rootPath(d));
      }
    }
    for (const [name, target] of archive.symlinks) {
      this.links.set(rootPath(name), target);
    }
    for (const [p, target] of tsv(archive.files.get('links.tsv'), 'links.tsv', what, 2, 2)) {
      this.links.set(normalizePath(p ?? '/'), target ?? '');
    }
    for (const [p, status, reason] of tsv(archive.files.get('files.tsv'), 'files.tsv', what, 2, 3)) {
      if (!FILE_STATUSES.has(status ?? '')) {
        throw new SnapshotError(`${what}: files.tsv: unknown status ${JSON.stringify(status)}`);
      }
      this.fileRecords.set(normalizePath(p ?? '/'), { status: status as FileStatus, reason: reason ?? '' });
    }
    const building = new Map<string, DirEntry[]>();
    for (const [p, status, reason] of tsv(archive.files.get('dirs.tsv'), 'dirs.tsv', what, 2, 3)) {
      if (!FILE_STATUSES.has(status ?? '')) {
        throw new SnapshotError(`${what}: dirs.tsv: unknown status ${JSON.stringify(status)}`);
      }
      const dp = normalizePath(p ?? '/');
      this.dirRecords.set(dp, { status: status as FileStatus, reason: reason ?? '' });
      if (status === 'ok') {
        this.dirs.add(dp);
        building.set(dp, building.get(dp) ?? []);
      }
    }
    for (const [d, name, type, target] of tsv(
      archive.files.get('listings.tsv'),
      'listings.tsv',
      what,
      3,
      4,
    )) {
      const dp = normalizePath(d ?? '/');
      if (name === undefined || name === '' || name.includes('/') || !ENTRY_TYPES.has(type ?? '')) {
        throw new SnapshotError(`${what}: listings.tsv: malformed entry in ${dp}`);
      }
      const entries = building.get(dp) ?? [];
      const t = type as DirEntry['type'];
      entries.push(t === 'symlink' ? { name, type: t, target: target ?? '' } : { name, type: t });
      building.set(dp, entries);
      const full = dp === '/' ? `/${name}` : `${dp}/${name}`;
      if (t === 'symlink' && !this.links.has(full)) {
        this.links.set(full, target ?? '');
      }
    }
    // Frozen once and handed out as they are: a diagnosis lists the same unit directories for every unit.
    for (const [d, entries] of building) {
      this.listings.set(d, Object.freeze(sortEntries(entries).map((e) => Object.freeze(e))));
    }
    // Directories the snapshot implies: parents of everything that was seen to exist.
    const existing = [
      ...this.links.keys(),
      ...this.listings.keys(),
      ...[...this.fileRecords]
        .filter(([, r]) => r.status !== 'absent' && r.status !== 'not-collected')
        .map(([p]) => p),
    ];
    for (const p of existing) {
      for (let d = dirname(p); d !== '/'; d = dirname(d)) {
        this.dirs.add(d);
      }
    }
  }

  /** TreeLookup over the snapshot's own records (used by resolveInTree). */
  nodeKind(p: string): Promise<NodeKind> {
    return Promise.resolve(this.kindSync(p));
  }

  readonly sync = {
    nodeKind: (p: string): NodeKind => this.kindSync(p),
    readlink: (p: string): string => this.links.get(p) ?? '',
  };

  private kindSync(p: string): NodeKind {
    if (this.links.has(p)) {
      return 'symlink';
    }
    if (this.files.has(p)) {
      return 'file';
    }
    if (this.dirs.has(p)) {
      return 'dir';
    }
    const name = basename(p);
    const listed = this.listings.get(dirname(p))?.find((e) => e.name === name);
    if (listed !== undefined) {
      return listed.type;
    }
    const rec = this.fileRecords.get(p) ?? this.dirRecords.get(p);
    if (rec?.status === 'permission-denied') {
      return 'permission-denied';
    }
    if (rec?.status === 'not-a-file') {
      return 'other';
    }
    return 'absent';
  }

  readlink(p: string): Promise<string> {
    return Promise.resolve(this.sync.readlink(p));
  }

  /** Whether the collector looked and found nothing at p (a listed parent, or a missing ancestor). */
  private knownAbsent(p: string): boolean {
    if (this.listings.has(dirname(p))) {
      return true;
    }
    for (let d = dirname(p); d !== '/'; d = dirname(d)) {
      const rec = this.dirRecords.get(d) ?? this.fileRecords.get(d);
      if (rec?.status === 'absent') {
        return true;
      }
    }
    return false;
  }

  async readFile(path: string): Promise<FileFact> {
    const r = await resolveRequest(this, path);
    if (!r.ok) {
      return r.failure;
    }
    const p = r.requested;
    const c = r.path;
    if (c === '/dev/null') {
      return { path: p, status: 'not-a-file', reason: `${p} resolves to /dev/null` };
    }
    const content = this.files.get(c);
    if (content !== undefined) {
      return { path: p, status: 'ok', content };
    }
    const rec = this.fileRecords.get(c);
    if (rec !== undefined) {
      return rec.status === 'ok'
        ? { path: p, status: 'error', reason: `the snapshot lists ${c} but holds no copy of it` }
        : { path: p, status: rec.status, reason: rec.reason };
    }
    const kind = this.kindSync(c);
    if (kind === 'dir' || kind === 'other') {
      return { path: p, status: 'not-a-file', reason: `${c} ${describeOther(kind)}` };
    }
    if (this.knownAbsent(c)) {
      return { path: p, status: 'absent', reason: `no such file: ${c}` };
    }
    return {
      path: p,
      status: 'not-collected',
      reason: `${c} is not in the snapshot (the collector does not read it)`,
    };
  }

  async listDir(path: string): Promise<DirFact> {
    const r = await resolveRequest(this, path);
    if (!r.ok) {
      return r.failure;
    }
    const p = r.requested;
    const c = r.path;
    const entries = this.listings.get(c);
    if (entries !== undefined) {
      return { path: p, status: 'ok', entries };
    }
    const rec = this.dirRecords.get(c);
    if (rec !== undefined && rec.status !== 'ok') {
      return { path: p, status: rec.status, reason: rec.reason };
    }
    const kind = this.kindSync(c);
    if (kind === 'file' || kind === 'other') {
      return { path: p, status: 'not-a-file', reason: `${c} is not a directory` };
    }
    if (kind === 'absent' && this.knownAbsent(c)) {
      return { path: p, status: 'absent', reason: `no such directory: ${c}` };
    }
    return { path: p, status: 'not-collected', reason: `the snapshot has no listing of ${c}` };
  }

  runCommand(id: string): Promise<CommandFact> {
    const c = this.manifest.commands.find((x) => x.id === id);
    if (c === undefined) {
      return Promise.resolve({
        id,
        argv: findCommand(id)?.argv ?? [],
        status: 'not-available',
        stdout: '',
        stderr: '',
        reason: `the snapshot has no record of command "${id}" (collector ${this.manifest.collectorVersion})`,
      });
    }
    const decoded = this.decoded;
    const text = (bytes: Buffer | undefined): string => {
      if (bytes === undefined) {
        return '';
      }
      let t = decoded.get(bytes);
      if (t === undefined) {
        t = bytes.toString('utf8');
        decoded.set(bytes, t);
      }
      return t;
    };
    const out = this.stdout.get(id);
    const err = this.stderr.get(id);
    return Promise.resolve({
      id,
      argv: c.argv,
      status: c.status,
      get stdout(): string {
        return text(out);
      },
      stdoutBytes: out ?? Buffer.alloc(0),
      get stderr(): string {
        return text(err);
      },
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    });
  }
}

/** Reads a snapshot held in memory. Rejects only with SnapshotError (one-line message naming `label`). */
export function readSnapshot(
  gz: Buffer,
  label: string,
  limits: SnapshotLimits = DEFAULT_LIMITS,
): Promise<SnapshotReader> {
  return new Promise((resolve) => {
    resolve(snapshotFrom(gz, label, limits));
  });
}

function snapshotFrom(gz: Buffer, label: string, limits: SnapshotLimits): SnapshotReader {
  const archive = readArchive(gz, label, limits);
  try {
    return new SnapshotReader(archive, label);
  } catch (e) {
    if (e instanceof SnapshotError) {
      throw e;
    }
    throw new SnapshotError(`${label}: invalid snapshot (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Reads a snapshot file (size-checked before it is read). Throws only SnapshotError. */
export async function openSnapshot(
  file: string,
  limits: SnapshotLimits = DEFAULT_LIMITS,
): Promise<SnapshotReader> {
  const label = `snapshot ${pathBasename(file)}`;
  let buf: Buffer;
  try {
    // Synchronous: one small file, read by a CLI or by a fleet worker that handles one snapshot at a time;
    // node:fs/promises would cost its own load at every start.
    const st = statSync(file);
    if (!st.isFile()) {
      throw new SnapshotError(`${file}: not a regular file`);
    }
    if (st.size > limits.maxCompressedBytes) {
      throw new SnapshotError(`${file}: file is larger than ${limits.maxCompressedBytes} bytes`);
    }
    buf = readFileSync(file);
  } catch (e) {
    if (e instanceof SnapshotError) {
      throw e;
    }
    throw new SnapshotError(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  return readSnapshot(buf, label, limits);
}
