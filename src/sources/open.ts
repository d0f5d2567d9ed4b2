// One entry point for the CLI: the HostReader for `--root DIR`, `--snapshot FILE`, or the live host.
import { promises as fsp } from 'node:fs';
import type { ExecOptions } from './exec.ts';
import { LiveReader, RootReader } from './fs-readers.ts';
import type { HostReader } from './host-reader.ts';
import { openSnapshot } from './snapshot-reader.ts';

export { LiveReader, RootReader } from './fs-readers.ts';
export { openSnapshot, readSnapshot, SnapshotError, SnapshotReader } from './snapshot-reader.ts';
export { collectSnapshot } from './collect.ts';

export interface OpenHostOptions {
  readonly root?: string;
  readonly snapshot?: string;
  readonly exec?: ExecOptions;
}

/** Thrown when --root does not name a directory (the message is one line, naming it). */
export class HostSourceError extends Error {
  override readonly name = 'HostSourceError';
}

/**
 * The reader for the requested source. A snapshot that cannot be read throws SnapshotError; a --root
 * that is not a directory throws HostSourceError. Both messages are one line naming the input.
 */
export async function openHost(options: OpenHostOptions = {}): Promise<HostReader> {
  if (options.root !== undefined && options.snapshot !== undefined) {
    throw new HostSourceError('--root and --snapshot cannot be used together');
  }
  if (options.snapshot !== undefined) {
    return openSnapshot(options.snapshot);
  }
  if (options.root !== undefined) {
    let isDir = false;
    try {
      isDir = (await fsp.stat(options.root)).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) {
      throw new HostSourceError(`--root ${options.root}: not a directory`);
    }
    return new RootReader(options.root);
  }
  return new LiveReader(options.exec ?? {});
}
