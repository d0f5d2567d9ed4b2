// /proc/cmdline: kernel parameters split as the kernel's next_arg() does (kernel/params.c; quotes group
// words, "--" ends kernel parameters), see kernel-parameters(7) / Documentation/admin-guide/kernel-parameters.rst.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { isValidModuleName } from './module-name.ts';

export interface KernelCmdline {
  /**
   * module_blacklist= (kernel/module/main.c blacklisted()): load_module() refuses these names with EPERM,
   * whoever asks. Compared byte for byte with the module's own name (no '-'/'_' folding); a charp core
   * parameter, so only the LAST module_blacklist= on the line counts.
   */
  readonly moduleBlacklist: readonly string[];
  /**
   * modprobe.blacklist= (kmod libkmod-config.c kcmdline_parse_result): added to kmod's blacklist exactly
   * like a modprobe.d "blacklist" line, every occurrence counts, names kept as written.
   */
  readonly modprobeBlacklist: readonly string[];
  /** Kernel parameters before "--": key with '-' folded to '_' (the kernel's parameq), value "" for flags; last wins. */
  readonly params: ReadonlyMap<string, string>;
  /** Words after "--", passed to init. */
  readonly initArgs: readonly string[];
  readonly raw: string;
}

interface Arg {
  readonly param: string;
  readonly value: string | undefined;
}

/** kernel/params.c next_arg(): a word may be quoted as a whole or in its value; quotes are removed. */
function splitArgs(s: string): Arg[] {
  const args: Arg[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i] ?? '')) {
      i++;
    }
    if (i >= s.length) {
      break;
    }
    let start = i;
    let inQuote = false;
    let quoted = false;
    if (s[i] === '"') {
      start = ++i;
      inQuote = true;
      quoted = true;
    }
    let equals = -1;
    for (; i < s.length; i++) {
      const c = s[i] ?? '';
      if (/\s/.test(c) && !inQuote) {
        break;
      }
      if (equals === -1 && c === '=') {
        equals = i;
      }
      if (c === '"') {
        inQuote = !inQuote;
      }
    }
    let end = i;
    if (quoted && end > start && s[end - 1] === '"') {
      end--;
    }
    if (equals === -1 || equals >= end) {
      args.push({ param: s.slice(start, end), value: undefined });
    } else {
      let vStart = equals + 1;
      let vEnd = end;
      if (s[vStart] === '"') {
        vStart++;
        if (s[vEnd - 1] === '"' && vEnd > vStart) {
          vEnd--;
        }
      }
      args.push({ param: s.slice(start, equals), value: s.slice(vStart, vEnd) });
    }
    i++;
  }
  return args;
}

export function parseKernelCmdline(text: string, file: string): Parsed<KernelCmdline> {
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  if (lines.length > 1) {
    diagnostics.push({
      at: { file, line: 2 },
      severity: 'info',
      code: 'cmdline-multiple-lines',
      message: '/proc/cmdline is one line; later lines are ignored',
    });
  }
  const raw = (lines[0] ?? '').trim();
  const args = splitArgs(raw);
  const params = new Map<string, string>();
  const initArgs: string[] = [];
  let moduleBlacklist: string[] = [];
  const modprobeBlacklist: string[] = [];
  let afterDashes = false;
  for (const a of args) {
    // kmod reads the whole line, "--" included (it does not know about init arguments).
    if (a.param === 'modprobe.blacklist' && a.value !== undefined) {
      modprobeBlacklist.push(...a.value.split(',').filter((m) => m !== ''));
    }
    if (afterDashes) {
      initArgs.push(a.value === undefined ? a.param : `${a.param}=${a.value}`);
      continue;
    }
    if (a.param === '--' && a.value === undefined) {
      afterDashes = true;
      continue;
    }
    const key = a.param.replaceAll('-', '_');
    params.set(key, a.value ?? '');
    if (key === 'module_blacklist') {
      moduleBlacklist = (a.value ?? '').split(',').filter((m) => m !== '');
    }
  }
  for (const m of [...moduleBlacklist, ...modprobeBlacklist]) {
    if (!isValidModuleName(m)) {
      diagnostics.push({
        at: { file, line: 1 },
        severity: 'warning',
        code: 'cmdline-invalid-module-name',
        message: `"${m.length > 80 ? `${m.slice(0, 77)}...` : m}" in a module blacklist is not a valid module name`,
      });
    }
  }
  return { value: { moduleBlacklist, modprobeBlacklist, params, initArgs, raw }, diagnostics };
}
