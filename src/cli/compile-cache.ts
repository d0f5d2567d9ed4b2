// The bundle's program, compiled with a V8 code cache. dist/nfdoctor.cjs is a small launcher followed by the
// program, brotli-compressed and base64-encoded inside a block comment: Node's loader reads and scans a third
// of the bytes, and nothing of the program is parsed unless it runs. The launcher inflates the program (or
// reads the copy it saved in the cache directory) and compiles it with vm.Script and the bytecode V8 saved on
// an earlier run of the same command (createCachedData after the run holds every function that run compiled).
// A warm start skips parsing and compiling what a command runs, about a tenth of a `diagnose`. The cache is
// an optimisation only: any doubt and it is not used, any failure and the program is compiled from source.
//
// Trust: the saved program and cached data are code that runs as the caller (often root). A file is used only
// when it is a regular file owned by the effective user and writable by nobody else (and, for the program, of
// the exact length the build recorded), and files are written only into a directory with the same
// properties (mode 0700 when created here). V8 rejects data made by another V8 version, other flags or a
// source of another length (SerializedCodeData::SanityCheck); file names carry a hash of the program, so
// files made for another build are never read.
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  constants,
} from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { zlib } from '../lazy-builtins.ts';

/**
 * Where the program starts: the line after this marker. Joined at run time, so that the launcher's own code
 * (which esbuild may print with real newlines) never holds the marker's bytes.
 */
export const PROGRAM_MARKER = ['', '/*nfdoctor-program brotli base64', ''].join('\n');
/** Where it ends (base64 has no "*": the program cannot close the comment early). */
export const PROGRAM_END = ['', '*/', ''].join('\n');

const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {\n';
const WRAPPER_TAIL = '\n})';
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

export interface CacheEnv {
  readonly NFDOCTOR_COMPILE_CACHE?: string | undefined;
  readonly XDG_CACHE_HOME?: string | undefined;
  readonly HOME?: string | undefined;
}

/**
 * The cache directory: NFDOCTOR_COMPILE_CACHE when it is an absolute path, none when it is "0" or "off",
 * else $XDG_CACHE_HOME/nfdoctor (only when absolute, as the XDG base directory spec says), else
 * $HOME/.cache/nfdoctor. None without a usable HOME: system services often run with HOME unset or "/".
 */
export function cacheDirectory(env: CacheEnv): string | undefined {
  const setting = env.NFDOCTOR_COMPILE_CACHE;
  if (setting === '0' || setting === 'off') {
    return undefined;
  }
  if (setting !== undefined && isAbsolute(setting)) {
    return setting;
  }
  if (env.XDG_CACHE_HOME !== undefined && isAbsolute(env.XDG_CACHE_HOME)) {
    return join(env.XDG_CACHE_HOME, 'nfdoctor');
  }
  if (env.HOME !== undefined && isAbsolute(env.HOME) && env.HOME !== '/') {
    return join(env.HOME, '.cache', 'nfdoctor');
  }
  return undefined;
}

/** The program's source as the launcher compiles it. */
export function programFileName(programId: string): string {
  return `program-${programId}.js`;
}

/**
 * The command a code cache is kept for: the first argument, or "help" when the line asks for help (a
 * `diagnose --help` compiles a tenth of what `diagnose` does, and would otherwise leave its small cache
 * for every later diagnosis).
 */
export function cacheCommand(argv: readonly string[]): string | undefined {
  return argv.includes('--help') || argv.includes('-h') ? 'help' : argv[0];
}

/**
 * Whether a run's compiled functions are worth keeping: only a command that did its work (exit 0, or 1 for
 * findings). A usage or input error (2) stops early, and its cache would be missing most of the program.
 */
export function worthCaching(exitCode: number): boolean {
  return exitCode === 0 || exitCode === 1;
}

/** One code cache per program build, Node version, architecture and command (each compiles other functions). */
export function codeCacheFileName(
  programId: string,
  command: string | undefined,
  nodeVersion: string,
  arch: string,
): string {
  const which = command !== undefined && /^[a-z][a-z0-9-]{0,31}$/.test(command) ? command : 'other';
  return `code-${programId}-${nodeVersion}-${arch}-${which}.bin`;
}

/** A file or directory nobody but the effective user can have written. */
export function ownedAndPrivate(stat: { uid: number; mode: number }, euid: number): boolean {
  return stat.uid === euid && (stat.mode & 0o022) === 0;
}

/** The program as a CommonJS module body in the wrapper Node's loader would put around it. */
export function wrapProgram(program: string): Buffer {
  return Buffer.from(`${WRAPPER_HEAD}${program}${WRAPPER_TAIL}`, 'latin1');
}

/** The bundle: the launcher, then the wrapped program, compressed, in a comment (scripts/build.mjs). */
export function embedProgram(launcher: string, wrapped: Buffer): string {
  if (launcher.includes(PROGRAM_MARKER) || wrapped.includes(PROGRAM_MARKER, 0, 'latin1')) {
    throw new Error('the program marker occurs in the launcher or the program');
  }
  const { brotliCompressSync, constants } = zlib();
  const compressed = brotliCompressSync(wrapped, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: wrapped.length,
    },
  });
  return `${launcher}${PROGRAM_MARKER}${compressed.toString('base64')}${PROGRAM_END}`;
}

/** The wrapped program from the bundle's bytes, or undefined when the bundle is damaged. */
export function embeddedProgram(bundle: Buffer, programBytes: number): Buffer | undefined {
  const marker = bundle.indexOf(PROGRAM_MARKER, 0, 'latin1');
  const end = bundle.lastIndexOf(PROGRAM_END, undefined, 'latin1');
  if (marker === -1 || end < marker + PROGRAM_MARKER.length) {
    return undefined;
  }
  try {
    const compressed = Buffer.from(bundle.toString('latin1', marker + PROGRAM_MARKER.length, end), 'base64');
    const program = zlib().brotliDecompressSync(compressed, { maxOutputLength: programBytes });
    return program.length === programBytes ? program : undefined;
  } catch {
    return undefined;
  }
}

function euid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/**
 * The file at path when it can be trusted (and has the expected size, when given), else undefined. Read into
 * `reuse` when it is large enough. Never throws.
 */
export function readTrustedFile(path: string, expectedBytes?: number, reuse?: Buffer): Buffer | undefined {
  const me = euid();
  if (me === undefined) {
    return undefined;
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const stat = fstatSync(fd);
    const sizeOk =
      expectedBytes === undefined
        ? stat.size > 0 && stat.size <= MAX_CACHE_BYTES
        : stat.size === expectedBytes;
    if (!stat.isFile() || !ownedAndPrivate(stat, me) || !sizeOk) {
      return undefined;
    }
    const data =
      reuse !== undefined && reuse.length >= stat.size
        ? reuse.subarray(0, stat.size)
        : Buffer.allocUnsafe(stat.size);
    let done = 0;
    while (done < data.length) {
      const n = readSync(fd, data, done, data.length - done, done);
      if (n === 0) {
        return undefined;
      }
      done += n;
    }
    return data;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
    }
  }
}

/**
 * Writes data as path (a temporary file, then rename: a concurrent run reads the old file or the new one) in a
 * directory that is the user's own, and removes the files of builds not used lately. Never throws.
 */
export function writeTrustedFile(path: string, data: Buffer, programId: string): boolean {
  const me = euid();
  const dir = dirname(path);
  if (me === undefined) {
    return false;
  }
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || !ownedAndPrivate(stat, me)) {
      return false;
    }
    writeFileSync(temporary, data, { flag: 'wx', mode: 0o600 });
    renameSync(temporary, path);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // nothing was written
    }
    return false;
  }
  try {
    for (const name of staleFiles(dir, programId)) {
      unlinkSync(join(dir, name));
    }
  } catch {
    // Another run is cleaning up too: what it left goes next time.
  }
  return true;
}

/** Builds whose files are kept: this one and the most recently saved others (two installs used in turn). */
const KEPT_BUILDS = 4;

/** The cache files of builds other than the KEPT_BUILDS most recent ones (by when their program was saved). */
export function staleFiles(dir: string, programId: string): string[] {
  const names = readdirSync(dir);
  const saved = new Map<string, number>();
  for (const name of names) {
    const m = /^program-([0-9a-f]+)\.js$/.exec(name);
    if (m?.[1] !== undefined && m[1] !== programId) {
      saved.set(m[1], lstatSync(join(dir, name)).mtimeMs);
    }
  }
  const kept = new Set(
    [...saved]
      .sort((a, b) => b[1] - a[1])
      .slice(0, KEPT_BUILDS - 1)
      .map(([id]) => id),
  );
  kept.add(programId);
  return names.filter((name) => {
    const m = /^(?:code|program)-([0-9a-f]+)[-.]/.exec(name);
    return m?.[1] !== undefined && !kept.has(m[1]);
  });
}

export interface ProgramRun {
  readonly bundle: string;
  readonly programId: string;
  readonly programBytes: number;
  readonly command: string | undefined;
  /** False in the fleet's worker threads: the main thread writes the cache. */
  readonly mayWrite: boolean;
  readonly module: NodeJS.Module;
  readonly require: NodeJS.Require;
  readonly debug: boolean;
}

/**
 * Compiles the program (the saved copy, else inflated from the bundle) with the cached data when there is
 * some, and runs it. Writes what was missing when the process exits.
 */
export function runEmbeddedProgram(run: ProgramRun): void {
  const dir = cacheDirectory(process.env);
  const programPath = dir === undefined ? undefined : join(dir, programFileName(run.programId));
  const codePath =
    dir === undefined
      ? undefined
      : join(dir, codeCacheFileName(run.programId, run.command, process.version, process.arch));
  const saved = programPath === undefined ? undefined : readTrustedFile(programPath, run.programBytes);
  const program = saved ?? embeddedProgram(readFileSync(run.bundle), run.programBytes);
  if (program === undefined) {
    throw new Error(`${run.bundle}: the embedded program is damaged (reinstall nfdoctor)`);
  }
  const source = program.toString('latin1');
  // The saved program's bytes are in the string now: its buffer takes the cached data (a first touch of fresh
  // memory costs more than the read itself).
  const cached =
    codePath === undefined || saved === undefined ? undefined : readTrustedFile(codePath, undefined, saved);
  const script = new Script(source, {
    filename: run.bundle,
    // The wrapper's head is a line of its own: stack traces give the program's own line numbers.
    lineOffset: -1,
    ...(cached === undefined ? {} : { cachedData: cached }),
  });
  const state = cached === undefined ? 'miss' : script.cachedDataRejected === true ? 'rejected' : 'hit';
  if (run.debug) {
    process.stderr.write(
      `nfdoctor: compile cache ${state}${dir === undefined ? ' (no cache directory)' : `: ${dir}`}\n`,
    );
  }
  if (programPath !== undefined && codePath !== undefined && state !== 'hit' && run.mayWrite) {
    process.once('exit', (code) => {
      if (!worthCaching(code)) {
        if (run.debug) {
          process.stderr.write(
            `nfdoctor: compile cache not written: the command ended with status ${code}\n`,
          );
        }
        return;
      }
      const written =
        (saved !== undefined || writeTrustedFile(programPath, program, run.programId)) &&
        writeTrustedFile(codePath, script.createCachedData(), run.programId);
      if (run.debug) {
        process.stderr.write(`nfdoctor: compile cache ${written ? 'written' : 'not written'}: ${codePath}\n`);
      }
    });
  }
  const body = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: NodeJS.Module,
    filename: string,
    dirname: string,
  ) => void;
  body(run.module.exports, run.require, run.module, run.bundle, dirname(run.bundle));
}
