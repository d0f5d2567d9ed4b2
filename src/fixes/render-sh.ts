// `nfdoctor fix --format sh`: the plan as a POSIX sh script (no bashisms: it must run under dash and busybox sh
// on a broken host without Node). It checks every precondition before changing anything, skips what is already
// done, keeps backups under $NFDOCTOR_ROOT/var/lib/nfdoctor/runs/<run-id>/ with the original path layout, writes
// files through a temporary file in the same directory and mv(1) (rename(2) is atomic within a filesystem), and
// stops at the first failure (set -eu). With NFDOCTOR_ROOT set (a mounted system) it never runs systemctl or
// modprobe; it says what the next boot will do instead. Manual steps are printed, never executed.
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, invalidReason, shQuote, type Action } from './actions.ts';

export interface ShellScriptOptions {
  /** Comment lines for the header (what was diagnosed, when, by which version). */
  readonly comments?: readonly string[];
}

/** Identity of what an action changes: two actions with one key are the same step (a symptom repeats its cause's). */
export function actionKey(a: Action): string {
  switch (a.kind) {
    case 'comment-line':
      return `${a.kind}\0${a.file}\0${a.line}\0${a.expect}`;
    case 'replace-line':
      return `${a.kind}\0${a.file}\0${a.line}\0${a.expect}\0${a.text}`;
    case 'write-file':
      return `${a.kind}\0${a.path}\0${a.content}\0${a.mode}`;
    case 'remove-file':
      return `${a.kind}\0${a.path}`;
    case 'systemctl':
      return `${a.kind}\0${a.verb}\0${a.unit ?? ''}`;
    case 'modprobe':
      return `${a.kind}\0${a.module}`;
    case 'manual':
      return `${a.kind}\0${a.instruction}\0${a.command ?? ''}`;
  }
}

export function uniqueActions(actions: readonly Action[]): Action[] {
  const seen = new Set<string>();
  return actions.filter((a) => {
    const k = actionKey(a);
    if (seen.has(k)) {
      return false;
    }
    seen.add(k);
    return true;
  });
}

// Shell functions every script carries. `$1` of a path function is the path on the target (/etc/...); the
// functions map it under $ROOT and follow symlinks the way the target system would (an absolute link target
// is resolved under $ROOT, never on the host running the script).
const PRELUDE = String.raw`set -eu
umask 022
ROOT=${'$'}{NFDOCTOR_ROOT:-}
ROOT=${'$'}{ROOT%/}
RUN_ID=${'$'}{NFDOCTOR_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$$}
BACKUP="$ROOT/var/lib/nfdoctor/runs/$RUN_ID"
CHANGED=0
MARKER=${shQuote(WRITTEN_BY_MARKER)}
PREFIX=${shQuote(COMMENT_PREFIX)}

say() { printf 'nfdoctor: %s\n' "$*"; }
die() { printf 'nfdoctor: %s\n' "$*" >&2; exit 1; }

# The path of $1 under $ROOT with every symlink followed (at most 40, like the kernel's MAXSYMLINKS).
resolve() {
  p="$ROOT$1"; n=0
  while [ -L "$p" ]; do
    n=$((n + 1)); [ "$n" -le 40 ] || die "$1: too many levels of symbolic links"
    t=$(readlink "$p")
    case $t in
      /*) p="$ROOT$t" ;;
      *) p="$(dirname "$p")/$t" ;;
    esac
  done
  printf '%s\n' "$p"
}

# Line $2 of file $1 (already resolved) into LINE; false when the file has fewer lines.
read_line() {
  LINE=$(awk -v n="$2" 'NR == n { print; found = 1; exit } END { if (!found) exit 1 }' "$1") || return 1
}

# Copies the target $1 (resolved $2) into the backup tree once, keeping mode and times.
backup() {
  [ -e "$BACKUP$1" ] && return 0
  mkdir -p "$(dirname "$BACKUP$1")"
  cp -p "$2" "$BACKUP$1"
  printf 'edit %s\n' "$1" >> "$BACKUP/manifest"
}

# Writes line $2 of the resolved file $1 as the text in $NFD_TEXT: temporary copy (same mode and owner) in the
# same directory, then rename.
set_line() {
  tmp="$(dirname "$1")/.nfdoctor.$$.$(basename "$1")"
  cp -p "$1" "$tmp"
  NFD_TEXT=$3 awk -v n="$2" 'NR == n { print ENVIRON["NFD_TEXT"]; next } { print }' "$1" > "$tmp"
  mv -f "$tmp" "$1"
}

# State of a line edit: target $1, line $2, expected $3, wanted $4 -> "todo", "done" or dies.
line_state() {
  f=$(resolve "$1")
  [ -f "$f" ] || die "$1 does not exist any more: nothing was changed"
  read_line "$f" "$2" || die "$1 has no line $2 any more: nothing was changed"
  if [ "$LINE" = "$3" ]; then STATE=todo
  elif [ "$LINE" = "$4" ]; then STATE=done
  else die "$1 line $2 changed since the diagnosis: expected [$3], found [$LINE]; nothing was changed"
  fi
}

edit_line() {
  line_state "$1" "$2" "$3" "$4"
  [ "$STATE" = done ] && { say "$1 line $2: already done"; return 0; }
  mkdir -p "$BACKUP"
  backup "$1" "$f"
  set_line "$f" "$2" "$4"
  CHANGED=1
  say "$1 line $2: changed"
}

# State of a file to create: target $1, content in $NFD_CONTENT.
file_state() {
  f=$(resolve "$1")
  if [ ! -e "$f" ] && [ ! -L "$f" ]; then STATE=todo; return 0; fi
  [ -f "$f" ] || die "$1 exists and is not a regular file: nothing was changed"
  if printf '%s' "$NFD_CONTENT" | cmp -s - "$f"; then STATE=done
  else die "$1 exists with other content: nothing was changed"
  fi
}

write_file() {
  NFD_CONTENT=$2
  file_state "$1"
  [ "$STATE" = done ] && { say "$1: already written"; return 0; }
  mkdir -p "$BACKUP" "$(dirname "$f")"
  printf 'create %s\n' "$1" >> "$BACKUP/manifest"
  tmp="$(dirname "$f")/.nfdoctor.$$.$(basename "$f")"
  printf '%s' "$NFD_CONTENT" > "$tmp"
  chmod "$3" "$tmp"
  mv -f "$tmp" "$f"
  CHANGED=1
  say "$1: written"
}

remove_state() {
  f=$(resolve "$1")
  if [ ! -e "$f" ]; then STATE=done; return 0; fi
  read_line "$f" 1 && [ "$LINE" = "$MARKER" ] || die "$1 was not written by nfdoctor: nothing was changed"
  STATE=todo
}

remove_file() {
  remove_state "$1"
  [ "$STATE" = done ] && { say "$1: already absent"; return 0; }
  mkdir -p "$BACKUP"
  backup "$1" "$f"
  printf 'remove %s\n' "$1" >> "$BACKUP/manifest"
  rm -f "$f"
  CHANGED=1
  say "$1: removed"
}

# systemctl VERB [UNIT]: skipped when already so; with a root directory only said, never run.
unit_do() {
  if [ -n "$ROOT" ]; then
    case $1 in
      daemon-reload) say "$ROOT: systemd reads the changed unit files at its next boot" ;;
      start|restart) say "$ROOT: $2 starts at the next boot if it is enabled (not started now)" ;;
      stop) say "$ROOT: $2 is not stopped now (nothing runs there)" ;;
      *) say "$ROOT: not run: systemctl $1 $2; run: systemctl --root=$ROOT $1 $2" ;;
    esac
    return 0
  fi
  case $1 in
    enable) ! systemctl is-enabled --quiet "$2" || { say "$2: already enabled"; return 0; } ;;
    disable) systemctl is-enabled --quiet "$2" || { say "$2: already disabled"; return 0; } ;;
    unmask)
      s=$(systemctl is-enabled "$2" 2>/dev/null || true)
      case $s in masked|masked-runtime) ;; *) say "$2: not masked"; return 0 ;; esac ;;
    start) ! systemctl is-active --quiet "$2" || { say "$2: already active"; return 0; } ;;
    stop) systemctl is-active --quiet "$2" || { say "$2: already stopped"; return 0; } ;;
    restart) [ "$CHANGED" = 1 ] || ! systemctl is-active --quiet "$2" || { say "$2: active and nothing changed"; return 0; } ;;
  esac
  say "systemctl $*"
  systemctl "$@"
}

mod_do() {
  if [ -n "$ROOT" ]; then say "$ROOT: $1 is loaded at the next boot (modules-load.d), not now"; return 0; fi
  [ -d "/sys/module/$1" ] && { say "$1: already loaded"; return 0; }
  say "modprobe $1"
  modprobe "$1"
}
`;

function checkLine(a: Action): string | undefined {
  switch (a.kind) {
    case 'comment-line':
      return `line_state ${shQuote(a.file)} ${a.line} ${shQuote(a.expect)} ${shQuote(COMMENT_PREFIX + a.expect)}`;
    case 'replace-line':
      return `line_state ${shQuote(a.file)} ${a.line} ${shQuote(a.expect)} ${shQuote(a.text)}`;
    case 'write-file':
      return `NFD_CONTENT=${shQuote(a.content)}; file_state ${shQuote(a.path)}`;
    case 'remove-file':
      return `remove_state ${shQuote(a.path)}`;
    case 'systemctl':
    case 'modprobe':
    case 'manual':
      return undefined;
  }
}

function doLine(a: Action): string {
  switch (a.kind) {
    case 'comment-line':
      return `edit_line ${shQuote(a.file)} ${a.line} ${shQuote(a.expect)} ${shQuote(COMMENT_PREFIX + a.expect)}`;
    case 'replace-line':
      return `edit_line ${shQuote(a.file)} ${a.line} ${shQuote(a.expect)} ${shQuote(a.text)}`;
    case 'write-file':
      return `write_file ${shQuote(a.path)} ${shQuote(a.content)} ${a.mode.toString(8)}`;
    case 'remove-file':
      return `remove_file ${shQuote(a.path)}`;
    case 'systemctl':
      return a.unit === undefined ? `unit_do ${a.verb}` : `unit_do ${a.verb} ${shQuote(a.unit)}`;
    case 'modprobe':
      return `mod_do ${shQuote(a.module)}`;
    case 'manual':
      return '';
  }
}

/** Comment lines: every line of `text` prefixed with "# ", so nothing in it can run. */
function commentOut(text: string): string[] {
  return text.split('\n').map((l) => `# ${l}`);
}

function manualBlock(manual: readonly Extract<Action, { kind: 'manual' }>[]): string[] {
  if (manual.length === 0) {
    return [];
  }
  const out = ["say 'Left for a person (shown, never run by this script):'"];
  manual.forEach((m, i) => {
    out.push(`printf '  %s\\n' ${shQuote(`${i + 1}. ${m.instruction.replaceAll('\n', ' ')}`)}`);
    if (m.command !== undefined) {
      for (const l of m.command.split('\n')) {
        out.push(`printf '       $ %s\\n' ${shQuote(l)}`);
      }
    }
  });
  return out;
}

/**
 * The actions as a POSIX sh script. Identical actions (a symptom repeating its root cause's) appear once; an
 * action whose names do not validate never reaches the script (it would be a manual step instead).
 */
export function renderShellScript(actions: readonly Action[], opts: ShellScriptOptions = {}): string {
  const all = uniqueActions(actions);
  const bad = all.find((a) => invalidReason(a) !== undefined);
  if (bad !== undefined) {
    throw new Error(`cannot script an invalid action: ${invalidReason(bad) ?? ''}`);
  }
  const changes = all.filter((a) => a.kind !== 'manual');
  const manual = all.filter((a): a is Extract<Action, { kind: 'manual' }> => a.kind === 'manual');
  const lines: string[] = [
    '#!/bin/sh',
    '# Generated by nfdoctor (fix --format sh). POSIX sh; NFDOCTOR_ROOT=/mnt/x applies to a mounted system.',
    ...(opts.comments ?? []).flatMap((c) => commentOut(c)),
    PRELUDE,
    '# 1. Every precondition, before anything changes.',
    ...changes.flatMap((a) => {
      const c = checkLine(a);
      return c === undefined ? [] : [c];
    }),
    '',
    '# 2. The changes, in order (each skips itself when already done).',
  ];
  for (const a of changes) {
    lines.push(...commentOut(`${a.risk}: ${a.why}`), doLine(a));
  }
  lines.push(
    '',
    '# 3. What a person has to do.',
    ...manual.flatMap((m) => [
      ...commentOut(m.instruction),
      ...(m.command === undefined ? [] : m.command.split('\n').map((l) => `#   $ ${l}`)),
    ]),
    ...manualBlock(manual),
    'if [ "$CHANGED" = 1 ]; then say "backups and manifest: $BACKUP"; else say "nothing changed"; fi',
    '',
  );
  return lines.join('\n');
}
