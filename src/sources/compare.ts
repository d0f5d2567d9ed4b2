// Compares what two HostReaders say about the same facts; used by the equality tests (live vs --root
// vs snapshot) and handy when a snapshot and a host disagree.
import type { DirFact, FileFact, HostReader } from './host-reader.ts';
import { expandFacts, matchPattern, registryNamesFile } from './registry.ts';

export interface FactDifference {
  readonly fact: string;
  readonly a: string;
  readonly b: string;
}

function describeFile(f: FileFact): string {
  return f.status === 'ok' ? `ok ${f.content.length} bytes sha:${hash(f.content)}` : f.status;
}

function describeDir(d: DirFact): string {
  return d.status === 'ok'
    ? `ok [${d.entries.map((e) => `${e.name}:${e.type}${e.target === undefined ? '' : `->${e.target}`}`).join(' ')}]`
    : d.status;
}

function hash(b: Buffer): string {
  let h = 0x811c9dc5;
  for (const x of b) {
    h = Math.imul(h ^ x, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

/** The units `{unit}` stands for, as the collector finds them: *.service in /etc/systemd/system, not masked. */
async function adminUnits(reader: HostReader): Promise<string[]> {
  const listing = await reader.listDir('/etc/systemd/system');
  return listing.status === 'ok'
    ? listing.entries
        .filter(
          (e) =>
            e.name.endsWith('.service') &&
            (e.type === 'file' || (e.type === 'symlink' && e.target !== '/dev/null')),
        )
        .map((e) => e.name)
    : [];
}

/** Every file and directory fact of the registry (for these kernel releases), plus `extraFiles`. */
export async function compareReaders(
  a: HostReader,
  b: HostReader,
  releases: readonly string[],
  extraFiles: readonly string[] = [],
): Promise<{ compared: number; differences: FactDifference[] }> {
  const { files, globs, dirs } = expandFacts(releases, await adminUnits(a));
  const filePaths = new Set<string>([...files.map((f) => f.path), ...extraFiles]);
  const dirPaths = new Set<string>(dirs.map((d) => d.path));
  // files a glob matches, as either reader lists them; a symlink to a file the registry does not name is
  // never copied by the collector (no secrets through links), so it is left out of the comparison
  for (const g of globs) {
    for (const r of [a, b]) {
      const l = await r.listDir(g.dir);
      if (l.status === 'ok') {
        for (const e of l.entries) {
          const target =
            e.target === undefined ? undefined : e.target.startsWith('/') ? e.target : `${g.dir}/${e.target}`;
          const unnamedTarget =
            e.type === 'symlink' && target !== undefined && !registryNamesFile(target, releases);
          if (e.type !== 'dir' && matchPattern(g.pattern, e.name) && !unnamedTarget) {
            filePaths.add(`${g.dir}/${e.name}`);
          }
        }
      }
    }
  }
  const differences: FactDifference[] = [];
  for (const p of filePaths) {
    const [fa, fb] = [describeFile(await a.readFile(p)), describeFile(await b.readFile(p))];
    if (fa !== fb) {
      differences.push({ fact: `file ${p}`, a: fa, b: fb });
    }
  }
  for (const p of dirPaths) {
    const [da, db] = [describeDir(await a.listDir(p)), describeDir(await b.listDir(p))];
    if (da !== db) {
      differences.push({ fact: `dir ${p}`, a: da, b: db });
    }
  }
  return { compared: filePaths.size + dirPaths.size, differences };
}
