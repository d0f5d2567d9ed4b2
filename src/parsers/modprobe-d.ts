// modprobe.d(5) configuration files, read the way kmod reads them (libkmod-config.c kmod_config_parse,
// shared/util.c getline_wrapped); behaviour checked against kmod 30 `modprobe --showconfig` / `-n -v`.

import type { Diagnostic, Origin, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { isValidModuleName, normalizeModuleName } from './module-name.ts';
import { fnmatch, hasGlob, underscores } from './modules-alias.ts';
import { parseSoftdepArgs } from './modules-softdep.ts';
import type { KernelCmdline } from './kernel-cmdline.ts';

export type ModprobeDirective =
  | { readonly kind: 'blacklist'; readonly module: string; readonly at: Origin }
  | { readonly kind: 'install'; readonly module: string; readonly command: string; readonly at: Origin }
  | { readonly kind: 'remove'; readonly module: string; readonly command: string; readonly at: Origin }
  | { readonly kind: 'alias'; readonly pattern: string; readonly module: string; readonly at: Origin }
  | { readonly kind: 'options'; readonly module: string; readonly options: string; readonly at: Origin }
  | {
      readonly kind: 'softdep';
      readonly module: string;
      readonly pre: readonly string[];
      readonly post: readonly string[];
      readonly at: Origin;
    }
  | {
      readonly kind: 'weakdep';
      readonly module: string;
      readonly deps: readonly string[];
      readonly at: Origin;
    };

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

/**
 * getline_wrapped: a backslash before the newline joins the next physical line, a backslash before any
 * other character is dropped (the character is kept). Blank and '#' tests happen after joining, so a
 * comment ending in '\' swallows the next line. Reported line = first physical line.
 */
function logicalLines(text: string): { lines: LogicalLine[]; crlf: Set<number>; bom: boolean } {
  const bom = text.startsWith('\uFEFF');
  const physical = splitLines(text);
  // splitLines drops CRs, kmod does not: it keeps '\r' as part of the last word of the line.
  const rawPieces = (bom ? text.slice(1) : text).split('\n');
  const crlf = new Set<number>();
  const lines: LogicalLine[] = [];
  let acc = '';
  let start = -1;
  for (let i = 0; i < physical.length; i++) {
    let p = physical[i] ?? '';
    if (rawPieces[i]?.endsWith('\r') === true) {
      crlf.add(i + 1);
      p += '\r';
    }
    if (i === 0 && bom) {
      p = `\uFEFF${p}`;
    }
    if (start === -1) {
      start = i + 1;
    }
    let out = '';
    let continued = false;
    for (let j = 0; j < p.length; j++) {
      const c = p[j];
      if (c === '\\') {
        if (j === p.length - 1) {
          continued = true;
        } else {
          out += p[j + 1] ?? '';
          j++;
        }
      } else {
        out += c ?? '';
      }
    }
    acc += out;
    if (!continued) {
      lines.push({ text: acc, line: start });
      acc = '';
      start = -1;
    }
  }
  if (start !== -1) {
    lines.push({ text: acc, line: start });
  }
  return { lines, crlf, bom };
}

/** strtok_r(line, "\t ") words, plus the raw remainder after the n-th word (strtok_r(NULL, "\0")). */
function words(s: string, n: number): { words: string[]; rest: string | undefined } {
  const out: string[] = [];
  let i = 0;
  while (out.length < n) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) {
      i++;
    }
    if (i >= s.length) {
      return { words: out, rest: undefined };
    }
    const start = i;
    while (i < s.length && s[i] !== ' ' && s[i] !== '\t') {
      i++;
    }
    out.push(s.slice(start, i));
    // strtok_r overwrites exactly one delimiter; the remainder starts right after it.
    if (i < s.length) {
      i++;
    }
  }
  return { words: out, rest: i < s.length ? s.slice(i) : undefined };
}

export function parseModprobeD(text: string, file: string): Parsed<ModprobeDirective[]> {
  const value: ModprobeDirective[] = [];
  const diagnostics: Diagnostic[] = [];
  const { lines, crlf, bom } = logicalLines(text);
  const diag = (line: number, severity: Diagnostic['severity'], code: string, message: string): void => {
    diagnostics.push({ at: { file, line }, severity, code, message });
  };
  if (bom) {
    diag(
      1,
      'warning',
      'byte-order-mark',
      'file starts with a UTF-8 byte order mark; kmod reads it as part of the first word',
    );
  }
  for (const crLine of crlf) {
    diag(
      crLine,
      'warning',
      'carriage-return',
      'line ends with CR (DOS line ending); kmod keeps it as part of the last word, so that name never matches',
    );
  }
  for (const { text: l, line } of lines) {
    if (l === '' || l.startsWith('#')) {
      continue;
    }
    const at: Origin = { file, line };
    const head = words(l, 1);
    const cmd = head.words[0];
    if (cmd === undefined) {
      continue;
    }
    if (cmd.startsWith('#')) {
      diag(
        line,
        'warning',
        'indented-comment',
        'comment not in column 1: kmod reports "ignoring bad line starting with \'#\'"',
      );
      continue;
    }
    const bad = (why: string): void => {
      diag(
        line,
        'warning',
        'missing-argument',
        `${why}; kmod ignores the line ("ignoring bad line starting with '${cmd}'")`,
      );
    };
    switch (cmd) {
      case 'alias': {
        const w = words(l, 3).words;
        if (w[1] === undefined || w[2] === undefined) {
          bad('alias needs a pattern and a module');
          break;
        }
        value.push({ kind: 'alias', pattern: underscores(w[1]), module: underscores(w[2]), at });
        break;
      }
      case 'blacklist': {
        const w = words(l, 2).words;
        if (w[1] === undefined) {
          bad('blacklist needs a module name');
          break;
        }
        const module = underscores(w[1]);
        if (hasGlob(module)) {
          diag(
            line,
            'warning',
            'blacklist-pattern',
            `kmod compares blacklist names literally; "${clip(module)}" is not a pattern`,
          );
        } else if (!isValidModuleName(module.replace(/\r$/, ''))) {
          diag(line, 'warning', 'invalid-module-name', `"${clip(module)}" is not a valid module name`);
        }
        value.push({ kind: 'blacklist', module, at });
        break;
      }
      case 'options':
      case 'install':
      case 'remove':
      case 'softdep':
      case 'weakdep': {
        const { words: w, rest } = words(l, 2);
        if (w[1] === undefined || rest === undefined) {
          bad(
            `${cmd} needs a module name and ${cmd === 'options' ? 'options' : cmd === 'install' || cmd === 'remove' ? 'a command' : 'module names'}`,
          );
          break;
        }
        const module = underscores(w[1]);
        if (cmd === 'options') {
          // kmod_config_add_options replaces tabs with spaces.
          value.push({ kind: 'options', module, options: rest.replaceAll('\t', ' ').trim(), at });
        } else if (cmd === 'install' || cmd === 'remove') {
          value.push({ kind: cmd, module, command: rest.trim(), at });
        } else if (cmd === 'softdep') {
          const r = parseSoftdepArgs(rest);
          if (r.ignored.length > 0) {
            diag(
              line,
              'info',
              'softdep-outside-pre-post',
              `names before "pre:"/"post:" are ignored by kmod: ${r.ignored.map(clip).join(' ')}`,
            );
          }
          value.push({ kind: 'softdep', module, pre: r.pre, post: r.post, at });
        } else {
          diag(
            line,
            'info',
            'weakdep-needs-kmod-33',
            'weakdep is understood by kmod 33 and later only (older kmod: "ignoring bad line")',
          );
          value.push({ kind: 'weakdep', module, deps: rest.split(/\s+/).filter((d) => d !== ''), at });
        }
        break;
      }
      case 'include':
      case 'config':
        diag(line, 'warning', 'deprecated-command', `"${cmd}" is deprecated and not parsed by kmod`);
        break;
      default:
        diag(line, 'warning', 'unknown-command', `unknown command "${clip(cmd)}"; kmod ignores the line`);
    }
  }
  return { value, diagnostics };
}

/**
 * kmod's default_config_paths (libkmod.c) in priority order. /etc/modprobe.conf is NOT read by kmod (only
 * module-init-tools read it, with a deprecation warning); kmod before v31 also lacked /usr/lib/modprobe.d
 * (DISTCONFDIR), which on merged-/usr Debian is the same directory as /lib/modprobe.d.
 */
export const MODPROBE_CONFIG_DIRS: readonly string[] = [
  '/etc/modprobe.d',
  '/run/modprobe.d',
  '/usr/local/lib/modprobe.d',
  '/usr/lib/modprobe.d',
  '/lib/modprobe.d',
];

export interface OrderedModprobeFile {
  readonly dir: string;
  readonly name: string;
  /** "dir/name" of the higher-priority file with the same name; this one is not read. */
  readonly shadowedBy?: string;
  /** Why kmod skips the file: not ending in ".conf", or a hidden file (conf_files_filter_out). */
  readonly ignored?: 'not-conf' | 'hidden';
}

/**
 * kmod conf_files_list/conf_files_insert_sorted: every ".conf" file of every directory goes into ONE list
 * sorted by file name (strcmp); a name already taken by a higher-priority directory is dropped, so
 * /etc/modprobe.d/x.conf replaces /usr/lib/modprobe.d/x.conf and /usr/lib/modprobe.d/a.conf is read before
 * /etc/modprobe.d/b.conf. Returned in that reading order; shadowed and ignored files are kept (flagged) so
 * they can be shown as evidence. Unknown directories rank after the known ones, in input order.
 */
export function orderModprobeFiles(files: readonly { dir: string; name: string }[]): OrderedModprobeFile[] {
  const rank = (dir: string): number => {
    const i = MODPROBE_CONFIG_DIRS.indexOf(dir);
    return i === -1 ? MODPROBE_CONFIG_DIRS.length : i;
  };
  const entries = files.map((f, index) => ({ dir: f.dir.replace(/\/+$/, '') || '/', name: f.name, index }));
  const byPriority = [...entries].sort((a, b) => rank(a.dir) - rank(b.dir) || a.index - b.index);
  const owner = new Map<string, string>();
  const out = new Map<(typeof entries)[number], OrderedModprobeFile>();
  for (const e of byPriority) {
    if (e.name.startsWith('.')) {
      out.set(e, { dir: e.dir, name: e.name, ignored: 'hidden' });
      continue;
    }
    if (!e.name.endsWith('.conf') || e.name.length < 6) {
      out.set(e, { dir: e.dir, name: e.name, ignored: 'not-conf' });
      continue;
    }
    const winner = owner.get(e.name);
    if (winner === undefined) {
      owner.set(e.name, `${e.dir}/${e.name}`);
      out.set(e, { dir: e.dir, name: e.name });
    } else if (winner !== `${e.dir}/${e.name}`) {
      out.set(e, { dir: e.dir, name: e.name, shadowedBy: winner });
    }
  }
  return byPriority
    .filter((e) => out.has(e))
    .sort((a, b) => cmpBytes(a.name, b.name) || rank(a.dir) - rank(b.dir) || a.index - b.index)
    .map((e) => out.get(e))
    .filter((f): f is OrderedModprobeFile => f !== undefined);
}

function cmpBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export type InstallEffect = 'blocks-silently' | 'blocks-with-error' | 'loads' | 'unknown';

export interface ModulePolicy {
  /**
   * modprobe.d "blacklist" and modprobe.blacklist= entries naming this module. kmod compares them literally
   * with the module name (module_is_blacklisted uses streq; "blacklist xt_rec*" blocks nothing). Effect:
   * modprobe skips a blacklisted module reached through an ALIAS (always set
   * KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY) and exits 0 - this is how the kernel's request_module("ipt_recent")
   * is stopped; `modprobe xt_recent` by real name still loads it. `modprobe -b`, udev and
   * systemd-modules-load (KMOD_PROBE_APPLY_BLACKLIST, "Module 'x' is deny-listed (by kmod)") skip it even
   * by real name, so /etc/modules-load.d entries for it do nothing.
   */
  blacklistOf(module: string): Origin[];
  /** module_blacklist= entries: the kernel refuses the module with EPERM whoever loads it. */
  kernelBlacklistOf(module: string): Origin[];
  /**
   * The install command kmod runs instead of inserting the module: the FIRST install directive in reading
   * order whose name fnmatch()es the module (libkmod-module.c kmod_module_get_install_commands: "find only
   * the first command, as modprobe from module-init-tools does"). Later ones are ignored.
   */
  installOf(module: string): { command: string; at: Origin } | undefined;
  /** First matching remove directive, same rule as install. */
  removeOf(module: string): { command: string; at: Origin } | undefined;
  /** Every "options" line for exactly this module, in reading order (kmod 30 concatenates them; no patterns). */
  optionsOf(module: string): { options: string; at: Origin }[];
  /** The first softdep whose name fnmatch()es the module; kmod ignores later ones (kmod_module_get_softdeps). */
  softdepOf(module: string): { pre: readonly string[]; post: readonly string[]; at: Origin } | undefined;
  isInstallBlocking(command: string): boolean;
  installEffect(command: string): InstallEffect;
}

const NOOP = new Set(['true', ':', 'echo', 'printf', 'logger', 'sleep']);
const LOADERS = new Set(['modprobe', 'insmod']);

/**
 * What an install command does to the module. kmod runs it with system() (/bin/sh -c) instead of inserting
 * the module; a non-zero exit makes modprobe fail with "Error running install command '<cmd>' for module
 * <m>: retcode N" (seen in the lab: install xt_recent /bin/false), a zero exit reports success although
 * nothing was inserted. A command that calls modprobe or insmod is assumed to load the module.
 */
export function installEffect(command: string): InstallEffect {
  const shell = /^(?:\S*\/)?(?:ba|da)?sh\s+-c\s+(['"]?)(.*)\1\s*$/s.exec(command.trim());
  if (shell != null) {
    return installEffect(shell[2] ?? '');
  }
  const simple = command
    .split(/;|&&|\|\||\||\n/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  let failing = false;
  for (const c of simple) {
    const argv = c.split(/\s+/);
    const prog = (argv[0] ?? '').replace(/^.*\//, '');
    if (LOADERS.has(prog) || /\b(modprobe|insmod)\b/.test(c)) {
      return 'loads';
    }
    if (prog === 'false') {
      failing = true;
    } else if (prog === 'exit') {
      failing = argv[1] !== undefined && argv[1] !== '0';
      break;
    } else if (NOOP.has(prog)) {
      failing = false;
    } else {
      return 'unknown';
    }
  }
  return failing ? 'blocks-with-error' : 'blocks-silently';
}

export function buildModulePolicy(
  directivesInOrder: readonly ModprobeDirective[],
  cmdline?: KernelCmdline,
): ModulePolicy {
  const cmdlineOrigin: Origin = { file: '/proc/cmdline', line: 1 };
  const firstMatch = (kind: 'install' | 'remove', module: string) => {
    const name = normalizeModuleName(module);
    for (const d of directivesInOrder) {
      if (d.kind === kind && fnmatch(d.module, name)) {
        return { command: d.command, at: d.at };
      }
    }
    return undefined;
  };
  return {
    blacklistOf(module) {
      const name = normalizeModuleName(module);
      const found: Origin[] = [];
      for (const d of directivesInOrder) {
        if (d.kind === 'blacklist' && d.module === name) {
          found.push(d.at);
        }
      }
      // kmod adds modprobe.blacklist= names as written (no '-' to '_' folding).
      if (cmdline?.modprobeBlacklist.includes(name) === true) {
        found.push(cmdlineOrigin);
      }
      return found;
    },
    kernelBlacklistOf(module) {
      // The kernel compares with mod->name, which always uses '_' (KBUILD_MODNAME).
      return cmdline?.moduleBlacklist.includes(normalizeModuleName(module)) === true ? [cmdlineOrigin] : [];
    },
    installOf: (module) => firstMatch('install', module),
    removeOf: (module) => firstMatch('remove', module),
    optionsOf(module) {
      const name = normalizeModuleName(module);
      const found: { options: string; at: Origin }[] = [];
      for (const d of directivesInOrder) {
        if (d.kind === 'options' && d.module === name) {
          found.push({ options: d.options, at: d.at });
        }
      }
      // kcmdline_parse_result: "<module>.<param>=<value>" on the kernel command line becomes an options line.
      for (const [key, v] of cmdline?.params ?? []) {
        const dot = key.indexOf('.');
        if (dot > 0 && key.slice(0, dot) === name) {
          found.push({
            options: v === '' ? key.slice(dot + 1) : `${key.slice(dot + 1)}=${v}`,
            at: cmdlineOrigin,
          });
        }
      }
      return found;
    },
    softdepOf(module) {
      const name = normalizeModuleName(module);
      for (const d of directivesInOrder) {
        if (d.kind === 'softdep' && fnmatch(d.module, name)) {
          return { pre: d.pre, post: d.post, at: d.at };
        }
      }
      return undefined;
    },
    isInstallBlocking(command) {
      const e = installEffect(command);
      return e === 'blocks-silently' || e === 'blocks-with-error';
    },
    installEffect,
  };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
