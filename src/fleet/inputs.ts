// SNAPSHOT_OR_DIR arguments -> snapshot files, one at a time: a directory is read as a stream of entries, so ten
// thousand snapshots are never listed into memory at once.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export const SNAPSHOT_NAME = /\.(tar\.gz|tgz)$/;

/** Yields every file argument as it is (a missing one is reported by the worker that opens it) and the
 * *.tar.gz / *.tgz regular files directly inside every directory argument. */
export async function* snapshotFiles(args: readonly string[]): AsyncGenerator<string> {
  for (const arg of args) {
    const st = await fsp.stat(arg).catch(() => undefined);
    if (st?.isDirectory() !== true) {
      yield arg;
      continue;
    }
    const dir = await fsp.opendir(arg);
    for await (const entry of dir) {
      if (SNAPSHOT_NAME.test(entry.name) && (entry.isFile() || entry.isSymbolicLink())) {
        yield join(arg, entry.name);
      }
    }
  }
}
