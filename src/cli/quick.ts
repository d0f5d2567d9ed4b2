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

let stdoutQueued = false;

/** Whether some output went to the asynchronous process.stdout stream (the process must not exit before it drains). */
export function stdoutWasQueued(): boolean {
  return stdoutQueued;
}

/**
 * Output goes straight to fd 1: creating process.stdout loads Node's stream machinery (on a pipe, net and
 * its sockets), a good part of what a short call costs. Written in full with write(2) until the fd refuses.
 * A reader that has gone (`| head`: EPIPE) gets nothing more and no stack trace; a non-blocking pipe
 * (EAGAIN) gets the rest through the ordinary stream.
 */
export function writeStdout(text: string): void {
  // The string itself first (no Buffer copy of a report that can be megabytes); bytes only for a remainder.
  let bytes: Buffer | undefined;
  let done = 0;
  try {
    done = writeSync(1, text);
    if (done < Buffer.byteLength(text, 'utf8')) {
      bytes = Buffer.from(text, 'utf8');
      while (done < bytes.length) {
        done += writeSync(1, bytes, done);
      }
    }
  } catch (err) {
    if (isBrokenPipe(err)) {
      return;
    }
    process.stdout.on('error', (e: Error) => {
      if (!isBrokenPipe(e)) {
        process.stderr.write(`nfdoctor: cannot write to standard output: ${e.message}\n`);
        process.exitCode = EXIT.usage;
      }
    });
    stdoutQueued = true;
    process.stdout.write((bytes ?? Buffer.from(text, 'utf8')).subarray(done));
  }
}

function isBrokenPipe(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EPIPE';
}

/** The exit status when argv asks for the usage or the version (printed here), else undefined. */
export function answerQuickly(argv: readonly string[]): number | undefined {
  const name = argv[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeStdout(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    writeStdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  return undefined;
}
