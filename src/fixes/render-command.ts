// Action -> the POSIX sh command line(s) a person pastes (diagnose text and JSON `fix.steps[]`). Every word that
// comes from the host is quoted with shQuote; line edits run only while the line still reads what the
// diagnosis saw.
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, shQuote, type Action } from './actions.ts';

export interface FixStep {
  /** Paste-ready sh; a `manual` step's instruction is a "# ..." comment line. */
  readonly command: string;
  readonly why: string;
}

/** sed(1) s/// replacement text: '\\', '&' and the '/' delimiter are special (POSIX sed, "s/BRE/replacement/"). */
function sedReplacement(text: string): string {
  return text.replace(/[\\&/]/g, (c) => `\\${c}`);
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** `test "$(sed -n Np FILE)" = EXPECT && EDIT || complain`: edits only the line the diagnosis saw. */
function guardedEdit(file: string, line: number, expect: string, script: string): string {
  const f = shQuote(file);
  // --follow-symlinks: Debian's /etc/modules-load.d/modules.conf is a symlink to ../modules; plain -i would
  // replace the link with a file (GNU sed manual, "--follow-symlinks").
  return (
    `test "$(sed -n ${line}p ${f})" = ${shQuote(expect)} && sudo sed --follow-symlinks -i ${shQuote(script)} ${f}` +
    ` || echo ${shQuote(`${file} line ${line} is not what nfdoctor saw: not changed`)} >&2`
  );
}

export function renderCommand(a: Action): string {
  switch (a.kind) {
    case 'comment-line':
      return guardedEdit(a.file, a.line, a.expect, `${a.line}s/^/${sedReplacement(COMMENT_PREFIX)}/`);
    case 'replace-line':
      return guardedEdit(a.file, a.line, a.expect, `${a.line}s/.*/${sedReplacement(a.text)}/`);
    case 'write-file': {
      const p = shQuote(a.path);
      const lines = a.content.endsWith('\n') ? a.content.slice(0, -1).split('\n') : undefined;
      const printf =
        lines === undefined
          ? `printf '%s' ${shQuote(a.content)}`
          : `printf '%s\\n' ${lines.map(shQuote).join(' ')}`;
      return `sudo mkdir -p ${shQuote(dirname(a.path))} && ${printf} | sudo tee ${p} >/dev/null && sudo chmod ${a.mode.toString(8)} ${p}`;
    }
    case 'remove-file': {
      const p = shQuote(a.path);
      return `head -n 1 ${p} | grep -qxF ${shQuote(WRITTEN_BY_MARKER)} && sudo rm ${p}`;
    }
    case 'systemctl':
      return a.verb === 'daemon-reload'
        ? 'sudo systemctl daemon-reload'
        : `sudo systemctl ${a.verb} ${shQuote(a.unit ?? '')}`;
    case 'modprobe':
      return `sudo modprobe ${shQuote(a.module)}`;
    case 'manual': {
      const note = a.instruction
        .split('\n')
        .map((l) => `# ${l}`)
        .join('\n');
      return a.command === undefined ? note : `${note}\n${a.command}`;
    }
  }
}

export function renderSteps(actions: readonly Action[]): FixStep[] {
  return actions.map((a) => ({ command: renderCommand(a), why: a.why }));
}
