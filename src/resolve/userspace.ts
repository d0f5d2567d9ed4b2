// The userspace half of an extension: the libxt_/libipt_/libip6t_ library libxtables loads for -m/-j NAME,
// and whether it registers anything (Debian's xtables-addons 3.23-1 ships three libraries that do not).
import type { HostReader } from '../sources/host-reader.ts';
import {
  XTABLES_DIR_CANDIDATES,
  packageForExtension,
  userspaceLibraryCandidates,
  type ExtensionKind,
  type Family,
} from '../knowledge/extensions.ts';

export interface XtablesDir {
  readonly path: string;
  readonly files: ReadonlySet<string>;
}

export interface UserspaceStatus {
  /** The library libxtables would load, or the first candidate when none exists. */
  readonly library: string;
  readonly present: boolean | 'unknown';
  readonly path?: string;
  readonly package?: string;
  /** True when the library exists but calls no xtables_register_* function, so the extension stays unknown. */
  readonly registersNothing?: boolean;
  readonly reason?: string;
}

/** Finds the xtables directory of the host behind `reader`; undefined when there is none (iptables absent). */
export async function findXtablesDir(
  reader: HostReader,
  extraDirs: readonly string[] = [],
): Promise<XtablesDir | undefined> {
  for (const dir of [...extraDirs, ...XTABLES_DIR_CANDIDATES]) {
    const listing = await reader.listDir(dir);
    if (listing.status === 'ok') {
      return { path: dir, files: new Set(listing.entries.map((e) => e.name)) };
    }
  }
  return undefined;
}

/**
 * A library registers its extensions from its constructor by calling xtables_register_match(es) or
 * xtables_register_target(s); the dynamic symbol names are in the file. None present: nothing registers.
 */
export function libraryRegistersSomething(content: Buffer): boolean {
  return content.includes('xtables_register_match') || content.includes('xtables_register_target');
}

export async function userspaceStatus(
  reader: HostReader,
  dir: XtablesDir | undefined,
  name: string,
  kind: ExtensionKind,
  family: Family,
  cache: Map<string, boolean>,
): Promise<UserspaceStatus> {
  const candidates = userspaceLibraryCandidates(name, family);
  const pkg = packageForExtension(name, kind);
  const withPkg = pkg === undefined ? {} : { package: pkg };
  const first = candidates[1] ?? candidates[0] ?? `libxt_${name}.so`;
  if (dir === undefined) {
    return {
      library: first,
      present: 'unknown',
      ...withPkg,
      reason: 'no xtables extension directory found (is iptables installed here?)',
    };
  }
  for (const lib of candidates) {
    if (!dir.files.has(lib)) {
      continue;
    }
    const path = `${dir.path}/${lib}`;
    let registers = cache.get(path);
    if (registers === undefined) {
      const fact = await reader.readFile(path);
      registers = fact.status === 'ok' ? libraryRegistersSomething(fact.content) : true;
      cache.set(path, registers);
    }
    return {
      library: lib,
      present: true,
      path,
      ...withPkg,
      ...(registers
        ? {}
        : {
            registersNothing: true,
            reason: `${lib} exists but registers no extension, so iptables reports "Couldn't load ${kind} \`${name}'"`,
          }),
    };
  }
  return {
    library: first,
    present: false,
    ...withPkg,
    reason: `neither ${candidates.join(' nor ')} is in ${dir.path}`,
  };
}
