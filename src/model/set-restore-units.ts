// Units an administrator wrote to restore ipsets at boot (the guides for hosts without ipset-persistent or
// ipset-service): an ExecStart= that runs `ipset restore` (or `-R`), from `-file FILE` / `-f FILE` or, through
// a shell, `< FILE` (ipset(8): restore reads standard input unless -file names a file).
import { parseUnitFile, splitExecCommand, unitValues } from '../parsers/systemd-unit.ts';

export interface SetRestoreUnit {
  /** The unit's name (ipset-restore.service). */
  readonly unit: string;
  /** Its file in /etc/systemd/system. */
  readonly path: string;
  /** The ExecStart= line that runs the restore, and its value. */
  readonly line: number;
  readonly command: string;
  /** The file the sets come from; undefined when the command does not say (a pipe, a script). */
  readonly file?: string;
}

const UNIT_DIR = '/etc/systemd/system/';

/** The word after `ipset` that makes it a restore: the command, or its old-style option. */
function isRestore(argv: readonly string[]): boolean {
  const at = argv.findIndex((w) => w === 'ipset' || w.endsWith('/ipset'));
  return at >= 0 && argv.slice(at + 1).some((w) => w === 'restore' || w === '-R' || w === '-restore');
}

/** `-file FILE` / `-f FILE` among the words, else `< FILE` / `<FILE` in the command text. */
function restoredFile(argv: readonly string[], text: string): string | undefined {
  const at = argv.findIndex((w) => w === '-file' || w === '-f' || w === '--file');
  const named = at >= 0 ? argv[at + 1] : undefined;
  return named ?? /<\s*(\/[^\s;&|'"]+)/.exec(text)?.[1];
}

/** The ipset restores in `units` (text of /etc/systemd/system/*.service), one per unit at most. */
export function setRestoreUnits(units: readonly { path: string; text: string }[]): SetRestoreUnit[] {
  const out: SetRestoreUnit[] = [];
  for (const { path, text } of units) {
    if (!path.startsWith(UNIT_DIR) || !path.endsWith('.service')) {
      continue;
    }
    for (const entry of unitValues(parseUnitFile(text, path).value, 'Service', 'ExecStart')) {
      const argv = splitExecCommand(entry.value).argv;
      // A shell runs the restore: `sh -c 'ipset restore < /etc/ipset.conf'`.
      const words = argv.flatMap((w) => (w.includes(' ') ? splitExecCommand(w).argv : [w]));
      if (!isRestore(words)) {
        continue;
      }
      const file = restoredFile(words, entry.value);
      out.push({
        unit: path.slice(UNIT_DIR.length),
        path,
        line: entry.line,
        command: entry.value,
        ...(file === undefined ? {} : { file }),
      });
      break;
    }
  }
  return out;
}
