// `nfdoctor`, `--help` and `--version`: answered without loading any command.
import { writeSync } from 'node:fs';
import { EXIT } from './errors.ts';
import { VERSION } from '../version.ts';

const HELP = `nfdoctor ${VERSION}: why is my firewall not up, and what exactly do I do about it?

Usage:
  nfdoctor diagnose [--root DIR | --snapshot FILE] [--format text|json|html] [--fail-on LEVEL] [--output FILE]
  nfdoctor check RULES... [--kernel DIR | --root DIR] [--backend nft|legacy] [--format text|json|sarif]
  nfdoctor collect [--output FILE] [--root DIR]
  nfdoctor fleet SNAPSHOT_OR_DIR... [--jobs N] [--format text|json|html] [--output FILE] [--fix-playbook FILE]
  nfdoctor fleet collect -i INVENTORY [--snapshots DIR] [--check]
  nfdoctor fix [--root DIR | --snapshot FILE] [--only CHECK_ID...] [--format text|json|sh|ansible]
  nfdoctor fix --apply [--yes] [--include-review] [--root DIR] [--no-restart]
  nfdoctor rollback [RUN_ID] [--list] [--root DIR] [--force]
  nfdoctor guard install|status|release|uninstall [--fail-closed] [--allow CIDR[:PORT]...] [--textfile DIR]
  nfdoctor checks | nfdoctor explain CHECK_ID
  nfdoctor --version | --help

Run "nfdoctor COMMAND --help" for a command's options.
`;

/**
 * Short fixed texts go straight to fd 1: creating process.stdout loads Node's stream machinery, a good part
 * of what a `--version` call would cost. A pipe that refuses a synchronous write (EAGAIN on a non-blocking
 * pipe) gets the ordinary stream.
 */
function writeSmall(text: string): void {
  try {
    writeSync(1, text);
  } catch {
    process.stdout.write(text);
  }
}

/** The exit status when argv asks for the usage or the version (printed here), else undefined. */
export function answerQuickly(argv: readonly string[]): number | undefined {
  const name = argv[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeSmall(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    writeSmall(`${VERSION}\n`);
    return EXIT.ok;
  }
  return undefined;
}
