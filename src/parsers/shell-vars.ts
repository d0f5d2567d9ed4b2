// Shell "KEY=value" files that a script sources with `.`: /etc/default/netfilter-persistent (sourced by
// /usr/sbin/netfilter-persistent under sh), /etc/sysconfig/iptables-config (sourced by iptables.init under
// bash); quoting per POSIX sh (XCU 2.2 Quoting), the subset os-release(5) also allows.
//
// We never evaluate: `$VAR`, `$(cmd)` and backquotes stay literal and are reported, because the value a
// script sees then depends on its environment. Commented-out assignments (`#IPTABLES_TEST_RULESET=yes`) are
// recorded as such: a stock file ships them to document a switch, and "commented out" is itself evidence.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export interface ShellAssignment {
  readonly name: string;
  readonly value: string;
  /** 1-based line of the NAME= (first physical line when a quoted value spans lines). */
  readonly line: number;
  readonly commentedOut: boolean;
  /** `export NAME=value`. */
  readonly exported?: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ASSIGN_START = /^(export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/;

interface WordResult {
  readonly value: string;
  /** Index just past the word in `text`. */
  readonly end: number;
  /** A quote was still open at the end of `text`. */
  readonly unterminated: boolean;
  readonly expansion: boolean;
}

/** Reads one shell word starting at `start`: unquoted runs, '...', "..." and backslash escapes. */
function readWord(text: string, start: number): WordResult {
  let value = '';
  let i = start;
  let expansion = false;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t') {
      break;
    }
    if (c === '\\') {
      const next = text.charAt(i + 1);
      if (next === '\n') {
        i += 2; // line continuation: both characters vanish
        continue;
      }
      value += next;
      i += 2;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close === -1) {
        return { value: value + text.slice(i + 1), end: text.length, unterminated: true, expansion };
      }
      value += text.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (c === '"') {
      i += 1;
      let closed = false;
      while (i < text.length) {
        const d = text.charAt(i);
        if (d === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (d === '\\') {
          const next = text.charAt(i + 1);
          // Inside double quotes a backslash only escapes $ ` " \ and newline (XCU 2.2.3).
          if (next === '\n') {
            i += 2;
            continue;
          }
          if (next === '$' || next === '`' || next === '"' || next === '\\') {
            value += next;
            i += 2;
            continue;
          }
          value += d;
          i += 1;
          continue;
        }
        if (d === '$' || d === '`') {
          expansion = true;
        }
        value += d;
        i += 1;
      }
      if (!closed) {
        return { value, end: text.length, unterminated: true, expansion };
      }
      continue;
    }
    if (c === '$' || c === '`') {
      expansion = true;
    }
    if (c === ';' || c === '&' || c === '|' || c === '<' || c === '>' || c === '(' || c === ')') {
      break;
    }
    value += c;
    i += 1;
  }
  return { value, end: i, unterminated: false, expansion };
}

/** Parses shell variable assignments; never throws. */
export function parseShellVars(text: string, file: string): Parsed<ShellAssignment[]> {
  const lines = splitLines(text);
  const out: ShellAssignment[] = [];
  const diagnostics: Diagnostic[] = [];
  const diag = (line: number, severity: Diagnostic['severity'], code: string, message: string): void => {
    diagnostics.push({ at: { file, line }, severity, code, message });
  };

  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const raw = lines[idx] ?? '';
    const trimmed = raw.replace(/^[ \t]+/, '');
    if (trimmed === '') {
      continue;
    }

    if (trimmed.startsWith('#')) {
      // "#NAME=value" or "# NAME=value": a switch the file documents but does not set.
      const body = trimmed.replace(/^#+[ \t]*/, '');
      const m = ASSIGN_START.exec(body);
      if (m != null) {
        const name = m[2] ?? '';
        const word = readWord(body, m[0].length);
        const rest = body.slice(word.end).trim();
        // "# Set FOO=yes to enable" is prose, not a commented assignment: require nothing but a comment after it.
        if (rest === '' || rest.startsWith('#')) {
          out.push({ name, value: word.value, line: lineNo, commentedOut: true });
        }
      }
      continue;
    }

    const m = ASSIGN_START.exec(trimmed);
    if (m == null) {
      diag(
        lineNo,
        'warning',
        'not-an-assignment',
        `line is shell code, not a NAME=value assignment; it is not evaluated: ${trimmed.slice(0, 80)}`,
      );
      continue;
    }
    const name = m[2] ?? '';
    let body = trimmed;
    let word = readWord(body, m[0].length);
    let endIdx = idx;
    // A quoted value (or a trailing backslash) may continue on the next physical lines.
    while ((word.unterminated || /(^|[^\\])(\\\\)*\\$/.test(body)) && endIdx + 1 < lines.length) {
      endIdx += 1;
      body = `${body}\n${lines[endIdx] ?? ''}`;
      word = readWord(body, m[0].length);
    }
    if (word.unterminated) {
      diag(lineNo, 'error', 'unterminated-quote', `${name}: quote opened here is never closed`);
    }
    if (word.expansion) {
      diag(
        lineNo,
        'info',
        'expansion-not-evaluated',
        `${name}: value contains $ or a backquote; it is kept literally, the shell would expand it`,
      );
    }
    const rest = body.slice(word.end).replace(/^[ \t]+/, '');
    if (rest !== '' && !rest.startsWith('#') && !rest.startsWith(';')) {
      diag(
        lineNo,
        'warning',
        'trailing-words',
        `${name}: words after the value (${rest.slice(0, 40)}); sh would run them as a command with ${name} in its environment only`,
      );
    }
    const assignment: ShellAssignment =
      m[1] !== undefined
        ? { name, value: word.value, line: lineNo, commentedOut: false, exported: true }
        : { name, value: word.value, line: lineNo, commentedOut: false };
    out.push(assignment);
    idx = endIdx;
  }
  return { value: out, diagnostics };
}

/** The value the sourcing script sees: the last assignment that is not commented out. */
export function effectiveShellVar(
  assignments: readonly ShellAssignment[],
  name: string,
): ShellAssignment | undefined {
  for (let i = assignments.length - 1; i >= 0; i--) {
    const a = assignments[i];
    if (a !== undefined && !a.commentedOut && a.name === name) {
      return a;
    }
  }
  return undefined;
}

/** The last commented-out assignment of `name` (e.g. "#IPTABLES_TEST_RULESET=yes"), for evidence. */
export function commentedOutShellVar(
  assignments: readonly ShellAssignment[],
  name: string,
): ShellAssignment | undefined {
  for (let i = assignments.length - 1; i >= 0; i--) {
    const a = assignments[i];
    if (a !== undefined && a.commentedOut && a.name === name) {
      return a;
    }
  }
  return undefined;
}

export function isShellName(name: string): boolean {
  return NAME.test(name);
}
