// Real file trees for the applier tests: the files a lab VM really had (fixtures/lab-captures/NAME/files), copied
// into a fresh temporary root, and a runner that records commands instead of running them.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { CommandResult, Runner } from './apply.ts';
import { LAB_CAPTURES } from '../testing/lab-host.ts';

/** A temporary root holding the files of lab scenario `scenario` at their absolute paths. */
export function labTree(scenario: string): string {
  const root = mkdtempSync(join(tmpdir(), `nfdoctor-fix-${scenario}-`));
  cpSync(join(LAB_CAPTURES, scenario, 'files'), root, { recursive: true, preserveTimestamps: true });
  return root;
}

const HOSTS = join(import.meta.dirname, '../../fixtures/hosts');

/**
 * A temporary root rebuilt from the snapshot fixtures/hosts/NAME.tar.gz of a real host: its files, its symlinks
 * (links.tsv: merged /usr, unit aliases) and its directories (listings.tsv). The collector never copies .ko files,
 * so an empty file stands at every module path modules.dep names: --root only asks whether the module file exists.
 */
export function snapshotRoot(name: string): string {
  const tmp = mkdtempSync(join(tmpdir(), `nfdoctor-root-${name}-`));
  const r = spawnSync('tar', [
    '-xzf',
    join(HOSTS, `${name}.tar.gz`),
    '-C',
    tmp,
    'root',
    'links.tsv',
    'listings.tsv',
  ]);
  if (r.status !== 0) {
    throw new Error(`tar: ${r.stderr.toString()}`);
  }
  const root = join(tmp, 'root');
  for (const line of readFileSync(join(tmp, 'listings.tsv'), 'utf8').split('\n')) {
    const [dir, entry, type] = line.split('\t');
    if (
      dir !== undefined &&
      entry !== undefined &&
      type === 'dir' &&
      !dir.startsWith('/proc') &&
      !dir.startsWith('/sys')
    ) {
      mkdirSync(join(root, dir, entry), { recursive: true });
    }
  }
  for (const line of readFileSync(join(tmp, 'links.tsv'), 'utf8').split('\n')) {
    const [path, target] = line.split('\t');
    if (path === undefined || target === undefined || existsSync(join(root, path))) {
      continue;
    }
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  const modules = join(root, 'lib/modules');
  for (const release of existsSync(modules) ? readdirSync(modules) : []) {
    const dep = join(modules, release, 'modules.dep');
    if (!existsSync(dep)) {
      continue;
    }
    for (const line of readFileSync(dep, 'utf8').split('\n')) {
      const ko = line.split(':')[0];
      if (ko !== undefined && ko !== '') {
        mkdirSync(dirname(join(modules, release, ko)), { recursive: true });
        writeFileSync(join(modules, release, ko), '');
      }
    }
  }
  // The root is what the test works on; the rest of the extraction goes.
  const final = mkdtempSync(join(tmpdir(), `nfdoctor-root-${name}-`));
  rmSync(final, { recursive: true });
  renameSync(root, final);
  rmSync(tmp, { recursive: true, force: true });
  return final;
}

export interface FileSnapshot {
  readonly kind: 'file' | 'link' | 'dir';
  readonly content?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly target?: string;
}

/** Every path under `root` (relative, with a leading '/') and what it holds: for byte-for-byte comparisons. */
export function treeState(
  root: string,
  skip: (path: string) => boolean = () => false,
): Map<string, FileSnapshot> {
  const out = new Map<string, FileSnapshot>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const real = join(dir, name);
      const rel = `/${relative(root, real)}`;
      if (skip(rel)) {
        continue;
      }
      const st = lstatSync(real);
      if (st.isSymbolicLink()) {
        out.set(rel, { kind: 'link', target: readlinkSync(real) });
      } else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir' });
        walk(real);
      } else {
        out.set(rel, {
          kind: 'file',
          content: readFileSync(real).toString('base64'),
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
        });
      }
    }
  };
  walk(root);
  return out;
}

/** The run directories nfdoctor keeps under a root: left out when comparing a root with how it was. */
export const notRunDir = (p: string): boolean =>
  p === '/var' || p === '/var/lib' || p.startsWith('/var/lib/nfdoctor');

export interface RecordingRunner {
  readonly run: Runner;
  readonly calls: (readonly string[])[];
}

/** Records every command; answers from `answers` ("systemctl is-enabled x" -> stdout), else exit 0, no output. */
export function recordingRunner(
  answers: Readonly<Record<string, Partial<CommandResult>>> = {},
): RecordingRunner {
  const calls: (readonly string[])[] = [];
  return {
    calls,
    run: (file, args) => {
      const argv = [file, ...args];
      calls.push(argv);
      const a = answers[argv.join(' ')];
      return Promise.resolve({
        exitCode: a?.exitCode ?? 0,
        stdout: a?.stdout ?? '',
        stderr: a?.stderr ?? '',
      });
    },
  };
}
