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
 * (EAGAIN) gets the rest through the ordinary stream. Written in pieces (WRITE_PIECE).
 */
export function writeStdout(text: string): void {
  let offset = 0;
  // Bytes of the current piece that write(2) did not take.
  let unwritten: Buffer | undefined;
  try {
    while (offset < text.length) {
      const end = pieceEnd(text, offset, WRITE_PIECE);
      const piece = offset === 0 && end === text.length ? text : text.slice(offset, end);
      const done = writeSync(1, piece);
      offset = end;
      if (done < Buffer.byteLength(piece, 'utf8')) {
        unwritten = Buffer.from(piece, 'utf8').subarray(done);
        while (unwritten.length > 0) {
          unwritten = unwritten.subarray(writeSync(1, unwritten));
        }
        unwritten = undefined;
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
    if (unwritten !== undefined) {
      process.stdout.write(unwritten);
    }
    process.stdout.write(text.slice(offset));
  }
}

/**
 * Node encodes a string for write(2) into a buffer of its own: a 2.8 MB report (`check --format json` of 100k
 * rules) into 2.8 MB of fresh memory each time (790 page faults, 14-36 ms), 64 KiB pieces into memory
 * malloc() hands out again (121 faults, 5-17 ms).
 */
const WRITE_PIECE = 64 * 1024;

/** Where a piece of at most `size` UTF-16 units from `offset` ends, never between the halves of a surrogate pair. */
export function pieceEnd(text: string, offset: number, size: number): number {
  const end = offset + size;
  if (end >= text.length) {
    return text.length;
  }
  const last = text.charCodeAt(end - 1);
  if (last < 0xd800 || last > 0xdbff) {
    return end;
  }
  return end - 1 > offset ? end - 1 : end + 1;
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
