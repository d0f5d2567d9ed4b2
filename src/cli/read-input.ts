// Reading files the user names on the command line: one-line errors for everything that makes them unusable.
// stat is synchronous: the promise API would load node:fs/promises (~3.7 ms at every `check`) for two calls.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { join } from 'node:path';
import { InputError } from './errors.ts';
import { holdingYoungGeneration } from './young-generation.ts';

export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

function describeFsError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, expected a file';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    default:
      return typeof code === 'string' ? `cannot read (${code})` : 'cannot read';
  }
}

/** Reads a text file the user named, refusing directories, huge files and binary data. */
export function readTextInput(path: string, what: string): string {
  checkInputFile(path, what);
  return readWholeText(path, what);
}

function readWholeText(path: string, what: string): string {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new InputError(path, describeFsError(err));
  }
  if (data.includes(0)) {
    throw new InputError(path, nulProblem(what));
  }
  // Saved rulesets are nearly always pure ASCII; then latin1 gives the same string as UTF-8 without
  // validating 15 MB of UTF-8 (measured ~5x faster at 100k rules), and V8 keeps it one byte per char.
  const text = isAscii(data) ? data.toString('latin1') : data.toString('utf8');
  return text;
}

const nulProblem = (what: string): string => `contains NUL bytes: binary data, not ${what}`;

/**
 * A text file read piece by piece, again on every pass: each piece is whole lines (it ends at a newline,
 * but the last), decoded as readTextInput decodes the whole file. A big rules file is never held in
 * memory: on a 15 MB file one buffer of PIECE_BYTES replaces 15 MB of buffer plus 15 MB of string,
 * whose fresh pages cost more than the parse of them (measured ~140 ms against ~6 ms). For the same reason
 * the young generation is held at its size while a big file's pieces are read (young-generation.ts).
 */
export interface PiecewiseText {
  pieces(): Iterable<string>;
  /** The file is empty or white space only: what `text.trim() === ''` says of the whole text. */
  readonly blank: boolean;
}

/**
 * Below V8's regular object limit (128 KiB), so each piece's string is allocated in the young generation,
 * whose pages are reused, and not in a fresh large-object mapping.
 */
const PIECE_BYTES = 64 * 1024;

/** readTextInput for a file that may be big: the same checks and errors, the text as pieces. */
export function readPiecewiseInput(path: string, what: string): PiecewiseText {
  const bytes = checkInputFile(path, what);
  if (bytes === undefined) {
    // A pipe (`check <(iptables-save)`, /dev/stdin) can be read only once: whole, as before.
    const text = readWholeText(path, what);
    return { blank: text.trim() === '', pieces: () => [text] };
  }
  // One pass refuses binary data before anything is parsed, as readTextInput does. Pieces end at a
  // newline, which trim() removes: the whole text trims to '' exactly when every piece does.
  let blank = true;
  for (const bytes of byteRuns(path, what)) {
    blank &&= decodeText(bytes).trim() === '';
  }
  return {
    blank,
    pieces: () => holdingYoungGeneration(decodedRuns(path, what), bytes),
  };
}

function* decodedRuns(path: string, what: string): Generator<string> {
  for (const bytes of byteRuns(path, what)) {
    yield decodeText(bytes);
  }
}

/** As readTextInput: pure ASCII as latin1 (the same string, faster), anything else as UTF-8. */
function decodeText(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/**
 * The file's bytes in runs of whole lines (each ends with a newline, but the last), in one reused buffer
 * (a run is valid until the next one is asked for). A newline byte is never part of a UTF-8 sequence, so
 * decoding run by run gives the same text as decoding the whole file. A line longer than the buffer
 * grows it.
 */
function* byteRuns(path: string, what: string): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new InputError(path, describeFsError(err));
  }
  try {
    let buffer = Buffer.allocUnsafe(PIECE_BYTES);
    let filled = 0;
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, buffer, filled, buffer.length - filled, null);
      } catch (err) {
        throw new InputError(path, describeFsError(err));
      }
      const end = filled + read;
      if (buffer.subarray(filled, end).includes(0)) {
        throw new InputError(path, nulProblem(what));
      }
      if (read === 0) {
        if (end > 0) {
          yield buffer.subarray(0, end);
        }
        return;
      }
      const lastNewline = buffer.lastIndexOf(0x0a, end - 1);
      if (lastNewline === -1) {
        if (end === buffer.length) {
          const bigger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(bigger, 0, 0, end);
          buffer = bigger;
        }
        filled = end;
        continue;
      }
      yield buffer.subarray(0, lastNewline + 1);
      buffer.copy(buffer, 0, lastNewline + 1, end);
      filled = end - (lastNewline + 1);
    }
  } finally {
    closeSync(fd);
  }
}

/** Exists, is not a directory, not too big: readTextInput's checks before it reads. Its size when it is a regular file. */
function checkInputFile(path: string, what: string): number | undefined {
  let size: number;
  let regular: boolean;
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      throw new InputError(path, `is a directory, expected ${what}`);
    }
    size = st.size;
    regular = st.isFile();
  } catch (err) {
    if (err instanceof InputError) {
      throw err;
    }
    throw new InputError(path, describeFsError(err));
  }
  if (size > MAX_INPUT_BYTES) {
    throw new InputError(path, `is ${size} bytes, more than the ${MAX_INPUT_BYTES}-byte limit for ${what}`);
  }
  return regular ? size : undefined;
}

/**
 * The directory named by --root: a directory with an etc/ directory in it. An empty directory is what a
 * mount point looks like before the disk is mounted on it; read as a system, it would pass for a host on
 * which nothing loads a firewall, and `fix --apply` would write into the mount point.
 */
export function requireSystemRoot(path: string): void {
  requireDirectory(path, 'a filesystem root');
  let etcIsDirectory = false;
  try {
    etcIsDirectory = statSync(join(path, 'etc')).isDirectory();
  } catch {
    etcIsDirectory = false;
  }
  if (!etcIsDirectory) {
    throw new InputError(
      path,
      "has no etc/ directory: not a system's root filesystem (is the disk mounted there?)",
    );
  }
}

/** A directory the user named (--kernel, --root): must exist and be a directory. */
export function requireDirectory(path: string, what: string): void {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) {
      throw new InputError(path, `is not a directory, expected ${what}`);
    }
  } catch (err) {
    if (err instanceof InputError) {
      throw err;
    }
    throw new InputError(path, describeFsError(err));
  }
}
