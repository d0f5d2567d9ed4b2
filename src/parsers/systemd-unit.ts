// systemd unit files and drop-ins: systemd.syntax(7) and systemd.unit(5), read the way systemd's
// config_parse() (src/shared/conf-parser.c) reads them:
//  - a line whose first non-blank character is '#' or ';' is a comment; comments are whole lines only
//    ("Key=a # b" has the value "a # b");
//  - a line ending in an unescaped backslash continues on the next line, the backslash becoming a space;
//    comment lines inside a continuation are skipped (systemd.syntax(7) example: "KeyThree=value 3\",
//    "# this line is ignored", "; this line is ignored too", "       value 3 continued");
//  - "[Section]" opens a section; assignments before any section are ignored ("Assignment outside of
//    section");
//  - "Key = value": whitespace around the key and value is stripped; a line without '=' is ignored
//    ("Missing '='");
//  - keys may repeat; what a repeat means (append to a list, or override) is up to the setting, and the
//    empty assignment "Key=" resets a list. That merging lives in src/model/units.ts.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export interface UnitEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** 1-based line where the assignment starts. */
  readonly line: number;
  /** Last physical line, when the value continued over several lines. */
  readonly endLine?: number;
  readonly file: string;
}

export interface UnitFile {
  readonly entries: readonly UnitEntry[];
  /** Section names in order of first appearance. */
  readonly sections: readonly string[];
}

function isComment(line: string): boolean {
  const l = line.replace(/^[ \t\n\r]+/, '');
  return l.startsWith('#') || l.startsWith(';');
}

/** True when the text ends in a backslash that is not itself escaped. */
function endsEscaped(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s.charAt(i) === '\\'; i--) {
    n++;
  }
  return n % 2 === 1;
}

export function parseUnitFile(text: string, file: string): Parsed<UnitFile> {
  const lines = splitLines(text);
  const entries: UnitEntry[] = [];
  const sections: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const diag = (line: number, severity: Diagnostic['severity'], code: string, message: string): void => {
    diagnostics.push({ at: { file, line }, severity, code, message });
  };

  let section: string | undefined;
  let continuation: string | undefined;
  let contStart = 0;

  const handle = (logical: string, startLine: number, endLine: number): void => {
    const l = logical.trim();
    if (l === '') {
      return;
    }
    if (l.startsWith('[')) {
      if (!l.endsWith(']')) {
        // conf-parser.c returns -EBADMSG here: systemd stops and the unit does not load at all. We keep
        // reading for evidence, ignoring assignments until the next valid header.
        diag(
          startLine,
          'error',
          'unit-bad-section-header',
          `invalid section header, systemd refuses to load this file: ${l.slice(0, 80)}`,
        );
        section = undefined;
        return;
      }
      const name = l.slice(1, -1);
      section = name;
      if (!sections.includes(name)) {
        sections.push(name);
      }
      return;
    }
    if (l.startsWith('.include ')) {
      diag(
        startLine,
        'warning',
        'unit-include-directive',
        '.include is not supported by systemd >= 250 and deprecated before; its file is not read here',
      );
      return;
    }
    if (section === undefined) {
      diag(startLine, 'warning', 'unit-assignment-outside-section', `assignment outside of section: ${l}`);
      return;
    }
    const eq = l.indexOf('=');
    if (eq === -1) {
      diag(startLine, 'warning', 'unit-missing-equals', `missing '=', line ignored: ${l.slice(0, 80)}`);
      return;
    }
    const key = l.slice(0, eq).trim();
    const value = l.slice(eq + 1).trim();
    if (key === '') {
      diag(startLine, 'warning', 'unit-empty-key', 'assignment without a key, ignored');
      return;
    }
    const base = { section, key, value, line: startLine, file };
    entries.push(endLine !== startLine ? { ...base, endLine } : base);
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    if (isComment(raw)) {
      continue; // also inside a continuation (systemd.syntax(7))
    }
    const joined = continuation === undefined ? raw : continuation + raw;
    if (continuation === undefined) {
      contStart = lineNo;
    }
    if (endsEscaped(joined)) {
      continuation = `${joined.slice(0, -1)} `;
      continue;
    }
    continuation = undefined;
    handle(joined, contStart, lineNo);
  }
  if (continuation !== undefined) {
    // systemd parses what it has at EOF; say so, because the value probably lost its tail.
    diag(contStart, 'warning', 'unit-continuation-at-eof', 'file ends inside a backslash continuation');
    handle(continuation, contStart, lines.length);
  }
  return { value: { entries, sections }, diagnostics };
}

/** Entries of one section and key, in file order. */
export function unitValues(unit: UnitFile, section: string, key: string): UnitEntry[] {
  return unit.entries.filter((e) => e.section === section && e.key === key);
}

export interface ExecCommand {
  /** Prefix characters from systemd.service(5) "Command lines": '-', '@', ':', '+', '!', '!!'. */
  readonly prefixes: string;
  /** '-': a non-zero exit status is recorded but ignored. */
  readonly ignoreFailure: boolean;
  readonly argv: readonly string[];
}

/**
 * Splits an Exec*= value per systemd.service(5) "Command lines": leading special prefixes, then words split
 * on whitespace with "double" and 'single' quotes and C-style backslash escapes. Specifiers (%i ...) and
 * $VAR expansions are kept literally. Never throws; an unterminated quote ends the word at end of input.
 */
export function splitExecCommand(value: string): ExecCommand {
  let i = 0;
  let prefixes = '';
  const v = value.trim();
  while (i < v.length) {
    const c = v.charAt(i);
    if (c === '-' || c === '@' || c === ':' || c === '+' || c === '!') {
      prefixes += c;
      i++;
    } else {
      break;
    }
  }
  const argv: string[] = [];
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };
  while (i < v.length) {
    while (i < v.length && /\s/.test(v.charAt(i))) {
      i++;
    }
    if (i >= v.length) {
      break;
    }
    let word = '';
    while (i < v.length && !/\s/.test(v.charAt(i))) {
      const c = v.charAt(i);
      if (c === '"' || c === "'") {
        const q = c;
        i++;
        while (i < v.length && v.charAt(i) !== q) {
          if (v.charAt(i) === '\\' && i + 1 < v.length) {
            const n = v.charAt(i + 1);
            word += escapes[n] ?? n;
            i += 2;
          } else {
            word += v.charAt(i);
            i++;
          }
        }
        i++; // closing quote (or past the end)
      } else if (c === '\\' && i + 1 < v.length) {
        const n = v.charAt(i + 1);
        word += escapes[n] ?? n;
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    argv.push(word);
  }
  return { prefixes, ignoreFailure: prefixes.includes('-'), argv };
}
