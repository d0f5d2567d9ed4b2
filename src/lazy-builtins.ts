// Node builtins that only some commands need, loaded on first use. Loading child_process, crypto and
// readline costs about 20 ms of CPU at every start (node -e 'require("child_process")' against node -e 0),
// and `diagnose --snapshot`, `check` and the fleet's workers use none of them.
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Readline from 'node:readline/promises';
import type * as Tty from 'node:tty';
import type * as V8 from 'node:v8';
import type * as Zlib from 'node:zlib';

/** The bundle is CommonJS and has `require`; the TypeScript sources run as ES modules (tsx, vitest). */
const load: (id: string) => unknown =
  typeof require === 'function' ? require : createRequire(import.meta.url);

let childProcessModule: typeof ChildProcess | undefined;
let cryptoModule: typeof Crypto | undefined;
let readlineModule: typeof Readline | undefined;
let ttyModule: typeof Tty | undefined;
let v8Module: typeof V8 | undefined;
let zlibModule: typeof Zlib | undefined;

export const childProcess = (): typeof ChildProcess =>
  (childProcessModule ??= load('node:child_process') as typeof ChildProcess);
export const crypto = (): typeof Crypto => (cryptoModule ??= load('node:crypto') as typeof Crypto);
export const readline = (): typeof Readline =>
  (readlineModule ??= load('node:readline/promises') as typeof Readline);
/** node:tty loads node:net: only asked once stdout is known to be a character device other than /dev/null. */
export const tty = (): typeof Tty => (ttyModule ??= load('node:tty') as typeof Tty);
/**
 * node:zlib loads Node's stream machinery (~5 ms): needed only for gzip data (a .tar.gz snapshot, a
 * config.gz, the program the launcher inflates), not by `check --kernel DIR` or a live diagnosis.
 */
export const zlib = (): typeof Zlib => (zlibModule ??= load('node:zlib') as typeof Zlib);
/** node:v8 (~3 ms): only to hold the young generation while a big rules file is read (cli/young-generation.ts). */
export const v8 = (): typeof V8 => (v8Module ??= load('node:v8') as typeof V8);
