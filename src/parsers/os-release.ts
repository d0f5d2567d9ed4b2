// os-release(5): /etc/os-release (falling back to /usr/lib/os-release): newline-separated, shell-compatible
// VAR=value assignments, quoting as in sh, no expansion; '#' starts a comment line.

import { parseShellVars } from './shell-vars.ts';
import type { Diagnostic, Parsed } from './types.ts';

export interface OsRelease {
  readonly id?: string;
  /** ID_LIKE split on spaces, closest relative first (os-release(5)). */
  readonly idLike: string[];
  readonly versionId?: string;
  readonly versionCodename?: string;
  readonly prettyName?: string;
  readonly values: Map<string, string>;
}

export function parseOsRelease(text: string, file: string): Parsed<OsRelease> {
  const parsed = parseShellVars(text, file);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const values = new Map<string, string>();
  for (const a of parsed.value) {
    if (a.commentedOut) {
      continue;
    }
    if (!/^[A-Z0-9_]+$/.test(a.name)) {
      diagnostics.push({
        at: { file, line: a.line },
        severity: 'info',
        code: 'os-release-bad-name',
        message: `os-release(5) variable names are [A-Z0-9_]; got ${a.name}`,
      });
    }
    values.set(a.name, a.value);
  }
  const get = (k: string): string | undefined => {
    const v = values.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  // os-release(5): ID defaults to "linux" when unset; we keep it undefined so callers can tell.
  const idLike = (values.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== '');
  const id = get('ID');
  const versionId = get('VERSION_ID');
  const versionCodename = get('VERSION_CODENAME');
  const prettyName = get('PRETTY_NAME');
  return {
    value: {
      idLike,
      values,
      ...(id !== undefined ? { id } : {}),
      ...(versionId !== undefined ? { versionId } : {}),
      ...(versionCodename !== undefined ? { versionCodename } : {}),
      ...(prettyName !== undefined ? { prettyName } : {}),
    },
    diagnostics,
  };
}
