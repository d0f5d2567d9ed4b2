// One snapshot file -> one host outcome. Runs inside a fleet worker; never throws on what the file contains.
import { basename } from 'node:path';
import { openSnapshot, SnapshotError } from '../sources/snapshot-reader.ts';
import { buildHostModel } from '../model/host-model.ts';
import { shareKernelFilesAcrossHosts } from '../resolve/kernel-view.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';
import { summariseHost } from './summary.ts';
import type { HostOutcome } from './aggregate.ts';

/** "snapshots/web01.tar.gz" -> "web01": the collect playbook names each snapshot after the inventory host. */
export function hostNameOf(file: string): string {
  return basename(file).replace(/\.(tar\.gz|tgz)$/, '');
}

export async function diagnoseSnapshotFile(file: string): Promise<HostOutcome> {
  const host = hostNameOf(file);
  shareKernelFilesAcrossHosts();
  try {
    const reader = await openSnapshot(file);
    const model = await buildHostModel(reader);
    const result = runChecks(CHECKS, model);
    return { kind: 'diagnosed', summary: summariseHost(host, file, model, result, reader.manifest.hostname) };
  } catch (err) {
    const reason =
      err instanceof SnapshotError
        ? err.message
        : `cannot be diagnosed: ${err instanceof Error ? err.message : String(err)}`;
    return { kind: 'unreadable', host, file, reason: reason.split('\n')[0] ?? reason };
  }
}
