// Whether standard output is a terminal, asked as cheaply as possible: every report's colour depends on it.
import { fstatSync } from 'node:fs';
import { tty } from '../lazy-builtins.ts';

/**
 * isatty(1), asked without process.stdout: that getter builds the stream (and, for a pipe, loads net) even
 * when the report then goes out with one write(2). Only a character device can be a terminal, and node:tty
 * (which loads net too, ~7 ms) is consulted only for one that is not a memory device: /dev/null, where cron
 * and `> /dev/null` send the report, is a character device too.
 */
export function stdoutIsTerminal(): boolean {
  try {
    const st = fstatSync(1);
    return st.isCharacterDevice() && !isMemoryDevice(st.rdev) && tty().isatty(1);
  } catch {
    return false;
  }
}

/**
 * Linux's memory devices (/dev/null, /dev/zero, /dev/full, /dev/random, ...) have major number 1
 * (Documentation/admin-guide/devices.txt); none is a terminal. The major number of a dev_t as glibc's
 * gnu_dev_major() decodes it: bits 8-19, and 44-63 above them.
 */
export function isMemoryDevice(rdev: number, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') {
    return false;
  }
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  return major === 1;
}
