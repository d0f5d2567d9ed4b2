// modules-load.d(5), read by systemd-modules-load.service(8); also Debian's /etc/modules, which systemd reads
// through the symlink /etc/modules-load.d/modules.conf -> ../modules that Debian's systemd package ships.
//
// Format, as systemd really reads it (src/modules-load/modules-load.c apply_file()): each line is stripped of
// surrounding whitespace; empty lines and lines whose first character is '#' or ';' are skipped; the WHOLE
// remaining line is handed to module_load_and_warn() -> kmod_module_new_from_lookup() as one module name.
//
// Parameters after the name ("xt_recent ip_list_tot=0", which the comment in Debian's /etc/modules still
// advertises) are NOT passed as options: kmod looks up the alias "xt_recent ip_list_tot=0" (libkmod
// alias_normalize() keeps spaces), finds nothing, and systemd logs "Failed to find module 'xt_recent
// ip_list_tot=0'" and loads nothing. Verified with Debian 12's systemd-modules-load 252 run unprivileged on a
// test file (a non-existent module name with a parameter): it printed "Failed to find module
// 'nfdoctor_no_such_mod ip_list_tot=0'" and exited 0. Parameters in /etc/modules were honoured only by the
// pre-systemd /etc/init.d/kmod script (modprobe $module $args). Module options belong in modprobe.d(5)
// ("options xt_recent ip_list_tot=0"), which kmod applies on every load, including systemd-modules-load's.
//
// Whether a missing module fails the service depends on the systemd release:
//  - systemd <= 243: load_module() returned -ENOENT for "Failed to find module" and apply_file() propagated
//    it, so systemd-modules-load exited 1 and the unit failed (e.g. Debian buster 241, Ubuntu bionic 237,
//    RHEL 8 239 unless backported).
//  - systemd >= 244: apply_file() does `if (k == -ENOENT) continue;` after module_load_and_warn(): the miss is
//    logged at LOG_ERR but the service succeeds. Upstream PR systemd/systemd#13856 "modules-load: do not fail
//    service if modules are not present" (Zbigniew Jędrzejewski-Szmek, merged 2019-10-28, cites
//    rhbz#1254340 and Debian #941651); first release v244 (2019-11-29). Not mentioned in NEWS.
//  - Later module-util.c versions (release not pinned here) also do not fail on -ENODEV/-ENOENT returned by
//    the *insert* (logged at notice/warning). Any other insert error (EINVAL from a bad option, EPERM, ENOEXEC, a failing
//    "install" command ...) is logged "Failed to insert module 'X': <strerror>" at err and fails the unit.

import type { Diagnostic, Origin, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { isValidModuleName, normalizeModuleName } from './module-name.ts';

export interface ModulesLoadEntry {
  /** First word of the line, normalised as kmod does ('-' -> '_'). */
  readonly module: string;
  /** Anything after the name on the same line (systemd does not pass it as options; see above). */
  readonly rest?: string;
  /** The exact string systemd looks up: the whole stripped line. */
  readonly lookupName: string;
  readonly at: Origin;
}

export function parseModulesLoad(text: string, file: string): Parsed<ModulesLoadEntry[]> {
  const out: ModulesLoadEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  splitLines(text).forEach((raw, i) => {
    const at: Origin = { file, line: i + 1 };
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || l.startsWith(';')) {
      return;
    }
    const m = /^(\S+)(?:\s+(.*))?$/.exec(l);
    const first = m?.[1] ?? l;
    const rest = m?.[2]?.trim();
    const module = normalizeModuleName(first);
    if (rest !== undefined && rest !== '') {
      diagnostics.push({
        at,
        severity: 'warning',
        code: 'modules-load-parameters-ignored',
        message:
          `"${l}": systemd-modules-load looks up the whole line as a module name and finds nothing ` +
          `("Failed to find module '${l}'"); ${module} is not loaded and "${rest}" is not applied. ` +
          `Put the name alone here and "options ${module} ${rest}" in /etc/modprobe.d/.`,
      });
      out.push({ module, rest, lookupName: l, at });
      return;
    }
    if (!isValidModuleName(module)) {
      diagnostics.push({
        at,
        severity: 'warning',
        code: 'modules-load-odd-name',
        message: `"${first}" does not look like a module name (kmod may still resolve it as an alias)`,
      });
    }
    out.push({ module, lookupName: l, at });
  });
  return { value: out, diagnostics };
}

/**
 * modules-load.d(5) directories, highest priority first. /lib/modules-load.d is read only by builds with
 * split-usr (Debian <= 12 builds systemd that way; on merged-/usr hosts it is the same directory as
 * /usr/lib/modules-load.d).
 */
export const MODULES_LOAD_DIRS: readonly string[] = [
  '/etc/modules-load.d',
  '/run/modules-load.d',
  '/usr/local/lib/modules-load.d',
  '/usr/lib/modules-load.d',
  '/lib/modules-load.d',
];

export interface ModulesLoadFileCandidate {
  readonly dir: string;
  readonly name: string;
  /** Link target as stored, when the entry is a symlink (e.g. "../modules", "/dev/null"). */
  readonly isSymlinkTo?: string;
}

export interface ModulesLoadFileChoice {
  readonly dir: string;
  readonly name: string;
  readonly path: string;
  readonly isSymlinkTo?: string;
  /** Symlinked to /dev/null: the name is masked, nothing is read (modules-load.d(5)). */
  readonly masked: boolean;
  /** Same-named files in lower-priority directories that this one hides. */
  readonly shadows: readonly string[];
}

export interface ModulesLoadOrder {
  /** Files in the order systemd-modules-load reads them (by file name, lexically), masked ones included. */
  readonly files: readonly ModulesLoadFileChoice[];
  readonly ignored: readonly { readonly path: string; readonly reason: 'not-conf' | 'unknown-dir' }[];
}

function byteCompare(a: string, b: string): number {
  // conf_files_list() sorts with strcmp on the file name: plain code-unit order, no locale.
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * conf_files_list() semantics: only "*.conf"; for each file name the highest-priority directory wins and
 * hides the others (an /etc symlink to /dev/null masks the name); the winners are read sorted by file name,
 * whatever directory they come from.
 */
export function orderModulesLoadFiles(files: readonly ModulesLoadFileCandidate[]): ModulesLoadOrder {
  const ignored: { path: string; reason: 'not-conf' | 'unknown-dir' }[] = [];
  const best = new Map<string, { c: ModulesLoadFileCandidate; prio: number; shadows: string[] }>();
  for (const c of files) {
    const dir = c.dir.replace(/\/+$/, '');
    const path = `${dir}/${c.name}`;
    const prio = MODULES_LOAD_DIRS.indexOf(dir);
    if (prio === -1) {
      ignored.push({ path, reason: 'unknown-dir' });
      continue;
    }
    if (!c.name.endsWith('.conf')) {
      ignored.push({ path, reason: 'not-conf' });
      continue;
    }
    const cur = best.get(c.name);
    if (cur === undefined) {
      best.set(c.name, { c: { ...c, dir }, prio, shadows: [] });
    } else if (prio < cur.prio) {
      best.set(c.name, { c: { ...c, dir }, prio, shadows: [...cur.shadows, `${cur.c.dir}/${cur.c.name}`] });
    } else {
      cur.shadows.push(path);
    }
  }
  const chosen = [...best.values()]
    .sort((a, b) => byteCompare(a.c.name, b.c.name))
    .map(({ c, shadows }): ModulesLoadFileChoice => {
      const base = {
        dir: c.dir,
        name: c.name,
        path: `${c.dir}/${c.name}`,
        masked: c.isSymlinkTo === '/dev/null',
        shadows,
      };
      return c.isSymlinkTo !== undefined ? { ...base, isSymlinkTo: c.isSymlinkTo } : base;
    });
  return { files: chosen, ignored };
}
