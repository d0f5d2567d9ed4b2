// Fixes as data (DESIGN.md "Fixes are data"): a check proposes typed actions, never shell strings. The text and
// JSON of `diagnose`, the POSIX sh script, the Ansible playbook and the applier (`fix --apply`) all render from
// these. Paths are absolute paths *on the target host*; the applier maps them under --root.

/**
 * `safe`: puts back what the saved configuration already intends and widens nothing (removing a line that blocks a
 * module the rules need, loading modules earlier, Requires= -> Wants=, enabling the loader).
 * `review`: changes what traffic is allowed or what is installed (disabling another loader, creating an empty set,
 * installing a package). Applied only with --include-review.
 */
export type Risk = 'safe' | 'review';

interface Base {
  /** Why this action repairs the finding, in one or two sentences. */
  readonly why: string;
}

interface Changing extends Base {
  readonly risk: Risk;
}

/** Prefixes one line with COMMENT_PREFIX; the line must still read exactly `expect`. */
export interface CommentLineAction extends Changing {
  readonly kind: 'comment-line';
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly expect: string;
}

/** Replaces one line; the line must still read exactly `expect`. */
export interface ReplaceLineAction extends Changing {
  readonly kind: 'replace-line';
  readonly file: string;
  readonly line: number;
  readonly expect: string;
  readonly text: string;
}

/** Creates a file nfdoctor owns (modules-load.d entry, modprobe.d options line, unit drop-in). Precondition: the
 * path is absent, or already holds exactly `content` (then the action is satisfied). */
export interface WriteFileAction extends Changing {
  readonly kind: 'write-file';
  readonly path: string;
  readonly content: string;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
}

/** Removes a file nfdoctor wrote earlier (recognised by WRITTEN_BY_MARKER in its first line). */
export interface RemoveFileAction extends Changing {
  readonly kind: 'remove-file';
  readonly path: string;
}

/** `disable` and `stop` only for another firewall service that undoes the saved rules (risk `review`). */
export type SystemctlVerb = 'enable' | 'unmask' | 'daemon-reload' | 'start' | 'restart' | 'disable' | 'stop';

export interface SystemctlAction extends Changing {
  readonly kind: 'systemctl';
  readonly verb: SystemctlVerb;
  /** Absent only for daemon-reload. */
  readonly unit?: string;
}

/** Loads a module now (the persistent part is a write-file into modules-load.d). */
export interface ModprobeAction extends Changing {
  readonly kind: 'modprobe';
  readonly module: string;
}

/** What a person must do: boot another kernel, install a package from the network, write set contents nobody saved,
 * change the kernel command line. Always shown, never applied. */
export interface ManualAction extends Base {
  readonly kind: 'manual';
  /** What to do, in words. */
  readonly instruction: string;
  /** A command to paste, when there is one (shown, never run by nfdoctor). */
  readonly command?: string;
}

export type Action =
  | CommentLineAction
  | ReplaceLineAction
  | WriteFileAction
  | RemoveFileAction
  | SystemctlAction
  | ModprobeAction
  | ManualAction;

export type ActionKind = Action['kind'];

/** What comment-line puts in front of the line: recognisable, and undone by removing exactly this prefix. */
export const COMMENT_PREFIX = '# disabled by nfdoctor: ';

/** First line of every file nfdoctor writes; remove-file and rollback only remove files that carry it. */
export const WRITTEN_BY_MARKER = '# written by nfdoctor';

// modprobe(8) normalises '-' and '_'; module names are [A-Za-z0-9_-] in every kernel Makefile.
const MODULE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// systemd.unit(5): unit names are [A-Za-z0-9:_.\\-@] plus a type suffix; at most 255 characters.
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]{1,240}\.(service|socket|target|mount|path|timer|slice)$/;

export function isValidModuleName(name: string): boolean {
  return MODULE_NAME.test(name);
}

export function isValidUnitName(name: string): boolean {
  return UNIT_NAME.test(name) && !name.startsWith('-');
}

/** An absolute, normalised path: no '.', '..', empty segments, control characters or trailing slash. */
export function isValidTargetPath(path: string): boolean {
  if (!path.startsWith('/') || path.length > 4096 || path === '/') {
    return false;
  }

  if (/[\x00-\x1f\x7f]/.test(path)) {
    return false;
  }
  return path
    .slice(1)
    .split('/')
    .every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Why an action cannot be used as it is, or undefined when every name in it is valid. */
export function invalidReason(a: Action): string | undefined {
  switch (a.kind) {
    case 'comment-line':
    case 'replace-line':
      if (!isValidTargetPath(a.file)) {
        return `not an absolute normalised path: ${a.file}`;
      }
      if (!Number.isInteger(a.line) || a.line < 1) {
        return `not a line number: ${String(a.line)}`;
      }
      if (a.expect.includes('\n') || (a.kind === 'replace-line' && a.text.includes('\n'))) {
        return 'a line edit cannot contain a newline';
      }
      return undefined;
    case 'write-file':
    case 'remove-file':
      return isValidTargetPath(a.path) ? undefined : `not an absolute normalised path: ${a.path}`;
    case 'systemctl':
      if (a.verb === 'daemon-reload') {
        return a.unit === undefined ? undefined : 'daemon-reload takes no unit';
      }
      return a.unit !== undefined && isValidUnitName(a.unit)
        ? undefined
        : `not a unit name: ${a.unit ?? '(none)'}`;
    case 'modprobe':
      return isValidModuleName(a.module) ? undefined : `not a module name: ${a.module}`;
    case 'manual':
      return undefined;
  }
}

/** Quotes a word for POSIX sh: single quotes, with embedded quotes as '\''. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
