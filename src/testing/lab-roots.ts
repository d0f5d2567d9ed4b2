// Real root filesystems for tests that need a host on disk: the files of a lab snapshot (fixtures/hosts)
// unpacked into a directory, with the symlinks the collector recorded (/lib -> usr/lib on merged-/usr Debian,
// /etc/os-release -> ../usr/lib/os-release ...) made again, so `collector --root DIR` and RootReader see the
// tree the VM had.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const LAB_SNAPSHOTS = join(import.meta.dirname, '../../fixtures/hosts');

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Unpacks fixtures/hosts/<scenario>.tar.gz's root/ under `dir` and returns the root's path. */
export function unpackLabRoot(scenario: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', join(LAB_SNAPSHOTS, `${scenario}.tar.gz`), '-C', dir, 'root', 'links.tsv']);
  const root = join(dir, 'root');
  for (const line of readFileSync(join(dir, 'links.tsv'), 'utf8').split('\n')) {
    const [path, target] = line.split('\t');
    if (path === undefined || target === undefined || path.startsWith('/proc')) {
      continue;
    }
    const at = join(root, path);
    if (!exists(at)) {
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(target, at);
    }
  }
  return root;
}

export function hasCommand(name: string): boolean {
  return ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => existsSync(join(d, name)));
}
