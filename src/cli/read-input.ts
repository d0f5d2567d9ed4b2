// Reading files the user names on the command line: one-line errors for everything that makes them unusable.
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from './errors.ts';

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
export async function readTextInput(path: string, what: string): Promise<string> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      throw new InputError(path, `is a directory, expected ${what}`);
    }
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) {
      throw err;
    }
    throw new InputError(path, describeFsError(err));
  }
  if (size > MAX_INPUT_BYTES) {
    throw new InputError(path, `is ${size} bytes, more than the ${MAX_INPUT_BYTES}-byte limit for ${what}`);
  }
  // Decoded straight to a string: a Buffer plus its string would hold a 15 MB ruleset twice. UTF-8
  // decoding turns only a NUL byte into U+0000 (bad sequences become U+FFFD), so the check is the same.
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(path, describeFsError(err));
  }
  if (text.includes('\0')) {
    throw new InputError(path, `contains NUL bytes: binary data, not ${what}`);
  }
  return text;
}

/** A directory the user named (--kernel, --root): must exist and be a directory. */
export async function requireDirectory(path: string, what: string): Promise<void> {
  try {
    const st = await stat(path);
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
