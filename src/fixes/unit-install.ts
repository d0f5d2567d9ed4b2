// `systemctl enable` and `systemctl unmask` on a mounted root, where no systemd runs: done as systemd does them,
// with symlinks. systemd.unit(5) [Install]: WantedBy=/RequiredBy= make "a symlink ... in the .wants/ or .requires/
// directory of each of the listed units"; Alias= a symlink with the alias name; Also= enables those units too.
// enable writes these links into /etc/systemd/system, pointing at the unit file where the search path found it
// (Debian 12's systemctl: "Created symlink /etc/systemd/system/multi-user.target.wants/netfilter-persistent.service
// → /lib/systemd/system/netfilter-persistent.service"). A masked unit is a symlink to /dev/null in /etc/systemd/system.
import { readFile } from 'node:fs/promises';
import { isValidUnitName } from './actions.ts';
import { parseUnitFile, unitValues } from '../parsers/systemd-unit.ts';
import { readState, underRoot } from './files.ts';

/** Where enable looks for the unit file, in order (the persistent part of systemd's search path). */
const UNIT_DIRS = [
  '/etc/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];

export const ETC_UNITS = '/etc/systemd/system';

export interface UnitLink {
  /** The symlink to create, on the target system. */
  readonly path: string;
  /** What it points at. */
  readonly target: string;
}

export type InstallPlan =
  | { readonly ok: true; readonly links: readonly UnitLink[]; readonly unitFile: string }
  | { readonly ok: false; readonly reason: string };

async function findUnitFile(root: string, unit: string): Promise<string | undefined> {
  for (const dir of UNIT_DIRS) {
    const st = await readState(underRoot(root, `${dir}/${unit}`));
    if (st.exists && st.kind !== 'symlink') {
      return `${dir}/${unit}`;
    }
    if (st.exists && st.kind === 'symlink' && dir !== ETC_UNITS) {
      return `${dir}/${unit}`;
    }
  }
  return undefined;
}

/** The symlinks `systemctl enable UNIT` would create under `root`, following Also=. */
export async function installLinks(
  root: string,
  unit: string,
  seen = new Set<string>(),
): Promise<InstallPlan> {
  seen.add(unit);
  if (unit.includes('@')) {
    return { ok: false, reason: `${unit} is a template or instance; enable it on the running system` };
  }
  const file = await findUnitFile(root, unit);
  if (file === undefined) {
    return { ok: false, reason: `no unit file for ${unit} in ${UNIT_DIRS.join(', ')}` };
  }
  const text = await readFile(underRoot(root, file), 'utf8');
  const parsed = parseUnitFile(text, file).value;
  const words = (key: string): string[] =>
    unitValues(parsed, 'Install', key).flatMap((e) => e.value.split(/\s+/).filter((w) => w !== ''));
  const links: UnitLink[] = [];
  for (const [key, suffix] of [
    ['WantedBy', 'wants'],
    ['RequiredBy', 'requires'],
  ] as const) {
    for (const by of words(key)) {
      if (!isValidUnitName(by)) {
        return { ok: false, reason: `${file}: ${key}=${by} is not a unit name` };
      }
      links.push({ path: `${ETC_UNITS}/${by}.${suffix}/${unit}`, target: file });
    }
  }
  for (const alias of words('Alias')) {
    if (!isValidUnitName(alias)) {
      return { ok: false, reason: `${file}: Alias=${alias} is not a unit name` };
    }
    links.push({ path: `${ETC_UNITS}/${alias}`, target: file });
  }
  for (const also of words('Also')) {
    if (seen.has(also)) {
      continue;
    }
    if (!isValidUnitName(also)) {
      return { ok: false, reason: `${file}: Also=${also} is not a unit name` };
    }
    const sub = await installLinks(root, also, seen);
    if (!sub.ok) {
      return sub;
    }
    links.push(...sub.links);
  }
  if (links.length === 0) {
    return {
      ok: false,
      reason: `${file} has no [Install] section: it is started by other units, not enabled`,
    };
  }
  return { ok: true, links, unitFile: file };
}

/** The mask symlink of `unit`, when there is one. */
export function maskLink(unit: string): UnitLink {
  return { path: `${ETC_UNITS}/${unit}`, target: '/dev/null' };
}
