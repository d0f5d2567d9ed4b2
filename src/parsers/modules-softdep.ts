// modules.softdep and modprobe.d(5) "softdep <module> pre: <m...> post: <m...>" lines (kmod libkmod-config.c).

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { underscores } from './modules-alias.ts';

export interface SoftDep {
  /** Normalised module name; may be an fnmatch pattern in modprobe.d (kmod matches softdeps with fnmatch). */
  readonly module: string;
  readonly pre: readonly string[];
  readonly post: readonly string[];
  readonly line: number;
}

/**
 * The part after "softdep <module>", read as kmod_config_add_softdep does: "pre:" and "post:" switch the
 * list that following names go to, may repeat ("pre: a post: b pre: c" gives pre a c), and names before
 * the first switch are silently dropped. Debian 6.1's depmod writes such lines for cifs
 * (MODULE_SOFTDEP("gcm") without "pre:"), which kmod therefore ignores. Names are kept as written:
 * kmod resolves each through the normal alias lookup.
 */
export function parseSoftdepArgs(rest: string): { pre: string[]; post: string[]; ignored: string[] } {
  const pre: string[] = [];
  const post: string[] = [];
  const ignored: string[] = [];
  let mode: 'none' | 'pre' | 'post' = 'none';
  for (const word of rest.split(/\s+/)) {
    if (word === '') {
      continue;
    }
    if (word === 'pre:') {
      mode = 'pre';
    } else if (word === 'post:') {
      mode = 'post';
    } else if (mode === 'pre') {
      pre.push(word);
    } else if (mode === 'post') {
      post.push(word);
    } else {
      ignored.push(word);
    }
  }
  return { pre, post, ignored };
}

export function parseModulesSoftdep(text: string, file: string): Parsed<SoftDep[]> {
  const value: SoftDep[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = (lines[i] ?? '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      continue;
    }
    const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(trimmed);
    if (m?.[1] !== 'softdep' || m[2] === undefined) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'not-a-softdep-line',
        message: `expected "softdep <module> pre: ... post: ...", got "${clip(trimmed)}"`,
      });
      continue;
    }
    const rest = m[3] ?? '';
    if (rest.trim() === '') {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'softdep-empty',
        message: `softdep for ${m[2]} names no modules; kmod ignores the line`,
      });
      continue;
    }
    const r = parseSoftdepArgs(rest);
    if (r.ignored.length > 0) {
      diagnostics.push({
        at: { file, line },
        severity: 'info',
        code: 'softdep-outside-pre-post',
        message: `names before "pre:"/"post:" are ignored by kmod: ${r.ignored.map(clip).join(' ')}`,
      });
    }
    value.push({ module: underscores(m[2]), pre: r.pre, post: r.post, line });
  }
  return { value, diagnostics };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
