// guard install / uninstall against a root directory ("/" on a live host, a temp dir in tests). Every path
// it writes is recorded with what was there before (bytes and mode, or a symlink target, or nothing), so
// uninstall puts the tree back byte for byte. When the .deb is installed (/usr/lib/nfdoctor), the packaged
// bundle, launcher and unit are used and only the configuration and the enable link are written.
import {
  lstat,
  mkdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
  writeFile,
  chmod,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { guardUnit, launcherScript, reportUnit, REPORT_UNIT_NAME, UNIT_NAME } from './unit.ts';
import type { Backend } from '../knowledge/extensions.ts';
import { FAST_SCRIPT, FAST_STATE, fastScript, type PreloadModules } from './fast.ts';
import { BOOT_JSON, MOTD_FILE } from './messages.ts';
import { TEXTFILE_NAME, type GuardConfig } from './boot.ts';
import { parseAllow, type Allow } from './emergency.ts';

export const CONFIG_FILE = '/etc/nfdoctor/guard.json';
export const MANIFEST_FILE = '/var/lib/nfdoctor/guard-install.json';
export const PACKAGED = {
  bundle: '/usr/lib/nfdoctor/nfdoctor.cjs',
  launcher: '/usr/bin/nfdoctor',
  // bookworm's policy and lintian still want units under /lib (usrmerge makes both the same place).
  unit: `/lib/systemd/system/${UNIT_NAME}`,
  reportUnit: `/lib/systemd/system/${REPORT_UNIT_NAME}`,
} as const;
const wantsLink = (unit: string): string => `/etc/systemd/system/multi-user.target.wants/${unit}`;

type Previous =
  | { readonly type: 'absent' }
  | { readonly type: 'file'; readonly mode: number; readonly base64: string }
  | { readonly type: 'symlink'; readonly target: string };

interface ManifestEntry {
  readonly path: string;
  readonly previous: Previous;
}

export interface Manifest {
  readonly schemaVersion: 1;
  readonly version: string;
  readonly packaged: boolean;
  readonly launcher: string;
  /** Paths written at install or by the boot run, each with what was there before, in write order. */
  readonly entries: readonly ManifestEntry[];
  /** Directories install created, in creation order. */
  readonly dirs: readonly string[];
}

export interface InstallOptions {
  readonly root: string;
  readonly prefix: string;
  readonly config: GuardConfig;
  /** The bundle to copy (the running dist/nfdoctor.cjs); unused when the package is installed. */
  readonly bundle?: string;
  readonly version: string;
  /** The host's iptables backend now (the pre-network script re-checks it at every boot). */
  readonly backend: Backend;
  /** Modules the pre-network script loads in one modprobe before an emergency restore (see fastScript). */
  readonly preload?: PreloadModules;
}

export class InstallError extends Error {
  override readonly name = 'InstallError';
}

async function previousOf(path: string): Promise<Previous> {
  try {
    const st = await lstat(path);
    if (st.isSymbolicLink()) {
      return { type: 'symlink', target: await readlink(path) };
    }
    if (st.isFile()) {
      return { type: 'file', mode: st.mode & 0o7777, base64: (await readFile(path)).toString('base64') };
    }
    throw new InstallError(`${path}: exists and is not a regular file or symlink; not touching it`);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      return { type: 'absent' };
    }
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** mkdir -p that remembers which directories it created. */
async function makeDirs(root: string, dir: string, created: string[]): Promise<void> {
  const parts = dir.split('/').filter((p) => p !== '');
  let cur = '';
  for (const p of parts) {
    cur = `${cur}/${p}`;
    if (!(await exists(join(root, cur)))) {
      await mkdir(join(root, cur), { mode: 0o755 });
      created.push(cur);
    }
  }
}

async function atomicWrite(full: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = `${full}.nfdoctor-tmp`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, full);
}

export function configText(config: GuardConfig): string {
  return `${JSON.stringify(
    {
      failClosed: config.failClosed,
      allow: config.allow.map((a) => a.spec),
      ...(config.textfileDir === undefined ? {} : { textfileDir: config.textfileDir }),
    },
    null,
    2,
  )}\n`;
}

/** Reads /etc/nfdoctor/guard.json; a missing file is the default (alert only). */
export async function readConfig(root: string): Promise<GuardConfig> {
  let text: string;
  try {
    text = await readFile(join(root, CONFIG_FILE), 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      return { failClosed: false, allow: [] };
    }
    throw new InstallError(`${CONFIG_FILE}: cannot read (${(err as { code?: string }).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InstallError(`${CONFIG_FILE}: not valid JSON`);
  }
  const o = (raw ?? {}) as { failClosed?: unknown; allow?: unknown; textfileDir?: unknown };
  const allow: Allow[] = [];
  for (const spec of Array.isArray(o.allow) ? o.allow : []) {
    const a = parseAllow(String(spec));
    if (typeof a === 'string') {
      throw new InstallError(`${CONFIG_FILE}: ${a}`);
    }
    allow.push(a);
  }
  return {
    failClosed: o.failClosed === true,
    allow,
    ...(typeof o.textfileDir === 'string' ? { textfileDir: o.textfileDir } : {}),
  };
}

export async function readManifest(root: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(root, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      return undefined;
    }
    throw new InstallError(`${MANIFEST_FILE}: unreadable (${(err as Error).message.split('\n')[0] ?? ''})`);
  }
}

/** Whether the .deb's files are present under root. */
export async function packagedFiles(root: string): Promise<boolean> {
  for (const p of Object.values(PACKAGED)) {
    if (!(await exists(join(root, p)))) {
      return false;
    }
  }
  return true;
}

export interface InstallResult {
  readonly manifest: Manifest;
  readonly written: readonly string[];
}

export async function install(opts: InstallOptions): Promise<InstallResult> {
  const { root } = opts;
  if ((await readManifest(root)) !== undefined) {
    throw new InstallError(`already installed (${MANIFEST_FILE}); run "nfdoctor guard uninstall" first`);
  }
  const packaged = await packagedFiles(root);
  const launcher = packaged ? PACKAGED.launcher : `${opts.prefix}/bin/nfdoctor`;
  const bundleTarget = `${opts.prefix}/lib/nfdoctor/nfdoctor.cjs`;
  const unitPath = packaged ? PACKAGED.unit : `/etc/systemd/system/${UNIT_NAME}`;
  const reportPath = packaged ? PACKAGED.reportUnit : `/etc/systemd/system/${REPORT_UNIT_NAME}`;
  let bundle: Buffer | undefined;
  if (!packaged) {
    if (opts.bundle === undefined) {
      throw new InstallError(
        'no bundle to install: run the built dist/nfdoctor.cjs (npm run build), or install the .deb',
      );
    }
    bundle = await readFile(opts.bundle);
  }
  const script = fastScript({
    ...opts.config,
    backend: opts.backend,
    version: opts.version,
    ...(opts.preload === undefined ? {} : { preload: opts.preload }),
  });
  const writes: { path: string; data?: string | Buffer; mode?: number; link?: string }[] = [
    ...(bundle === undefined
      ? []
      : [
          { path: bundleTarget, data: bundle, mode: 0o644 },
          { path: launcher, data: launcherScript(), mode: 0o755 },
          { path: unitPath, data: guardUnit(FAST_SCRIPT), mode: 0o644 },
          { path: reportPath, data: reportUnit(launcher), mode: 0o644 },
        ]),
    { path: CONFIG_FILE, data: configText(opts.config), mode: 0o644 },
    { path: FAST_SCRIPT, data: script, mode: 0o755 },
    { path: wantsLink(UNIT_NAME), link: unitPath },
    { path: wantsLink(REPORT_UNIT_NAME), link: reportPath },
  ];
  // Files the boot run writes: remembered now so that uninstall can put back what was there before.
  const runtime = [
    BOOT_JSON,
    MOTD_FILE,
    FAST_STATE,
    ...(opts.config.textfileDir === undefined ? [] : [`${opts.config.textfileDir}/${TEXTFILE_NAME}`]),
  ];
  const entries: ManifestEntry[] = [];
  const dirs: string[] = [];
  for (const p of [...writes.map((w) => w.path), ...runtime, MANIFEST_FILE]) {
    entries.push({ path: p, previous: await previousOf(join(root, p)) });
  }
  await makeDirs(root, dirname(MANIFEST_FILE), dirs);
  // The pre-network unit's RuntimeDirectory= (systemd makes it at boot); made now so uninstall removes it.
  await makeDirs(root, dirname(FAST_STATE), dirs);
  const manifest = (): Manifest => ({
    schemaVersion: 1,
    version: opts.version,
    packaged,
    launcher,
    entries,
    dirs,
  });
  // The manifest goes first and is rewritten as directories appear: an interrupted install can still be undone.
  await atomicWrite(join(root, MANIFEST_FILE), `${JSON.stringify(manifest(), null, 2)}\n`, 0o644);
  for (const w of writes) {
    await makeDirs(root, dirname(w.path), dirs);
    await atomicWrite(join(root, MANIFEST_FILE), `${JSON.stringify(manifest(), null, 2)}\n`, 0o644);
    const full = join(root, w.path);
    if (w.link !== undefined) {
      await rm(full, { force: true });
      await symlink(w.link, full);
    } else {
      await atomicWrite(full, w.data ?? '', w.mode ?? 0o644);
    }
  }
  return { manifest: manifest(), written: writes.map((w) => w.path) };
}

/** Puts back every recorded path and removes the directories install created. Returns what it restored. */
export async function uninstall(root: string): Promise<{ restored: string[]; removed: string[] }> {
  const manifest = await readManifest(root);
  if (manifest === undefined) {
    throw new InstallError(`not installed (no ${MANIFEST_FILE})`);
  }
  const restored: string[] = [];
  const removed: string[] = [];
  for (const e of [...manifest.entries].reverse()) {
    const full = join(root, e.path);
    const was = await exists(full);
    await rm(full, { force: true });
    switch (e.previous.type) {
      case 'absent':
        if (was && e.path !== MANIFEST_FILE) {
          removed.push(e.path);
        }
        break;
      case 'symlink':
        await symlink(e.previous.target, full);
        restored.push(e.path);
        break;
      case 'file':
        await atomicWrite(full, Buffer.from(e.previous.base64, 'base64'), e.previous.mode);
        restored.push(e.path);
        break;
    }
  }
  for (const d of [...manifest.dirs].reverse()) {
    try {
      await rmdir(join(root, d));
    } catch {
      // Not empty: something else put files there since; it stays.
    }
  }
  return { restored, removed };
}
