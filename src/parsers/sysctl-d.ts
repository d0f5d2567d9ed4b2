// sysctl.d(5) (systemd-sysctl) and sysctl.conf(5): "key = value" lines; lines whose first non-blank character
// is '#' or ';' are comments; whitespace around '=' and at both ends is ignored. A key prefixed with '-'
// means a failure to set it is ignored (sysctl.d(5), systemd >= 238). Keys may use '.' or '/' as separator;
// when the first separator is '/', slashes and dots are swapped ("net/ipv4/conf/enp3s0.200/forwarding" is
// net.ipv4.conf.enp3s0/200.forwarding). Globs in keys (systemd >= 245) are kept as written.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export interface SysctlEntry {
  /** The key as written, without a leading '-'. */
  readonly key: string;
  /** The key in dotted form (what `sysctl -a` prints). */
  readonly normalizedKey: string;
  readonly value: string;
  readonly ignoreErrors: boolean;
  readonly line: number;
}

/** "net/ipv4/ip_forward" -> "net.ipv4.ip_forward" per sysctl.d(5); dotted keys are returned unchanged. */
export function normalizeSysctlKey(key: string): string {
  const firstSlash = key.indexOf('/');
  const firstDot = key.indexOf('.');
  if (firstSlash === -1 || (firstDot !== -1 && firstDot < firstSlash)) {
    return key;
  }
  let out = '';
  for (const c of key) {
    out += c === '/' ? '.' : c === '.' ? '/' : c;
  }
  return out;
}

export function parseSysctlD(text: string, file: string): Parsed<SysctlEntry[]> {
  const out: SysctlEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  splitLines(text).forEach((raw, i) => {
    const line = i + 1;
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || l.startsWith(';')) {
      return;
    }
    const eq = l.indexOf('=');
    if (eq === -1) {
      // systemd-sysctl: "Line is not an assignment, ignoring" (a bare '-key' is accepted by newer versions
      // as "do not touch"; we report both and keep nothing).
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'sysctl-missing-equals',
        message: `not a "key = value" line, ignored: ${l.slice(0, 80)}`,
      });
      return;
    }
    let key = l.slice(0, eq).trim();
    const value = l.slice(eq + 1).trim();
    let ignoreErrors = false;
    if (key.startsWith('-')) {
      ignoreErrors = true;
      key = key.slice(1).trimStart();
    }
    if (key === '') {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'sysctl-empty-key',
        message: 'assignment without a key, ignored',
      });
      return;
    }
    out.push({ key, normalizedKey: normalizeSysctlKey(key), value, ignoreErrors, line });
  });
  return { value: out, diagnostics };
}
