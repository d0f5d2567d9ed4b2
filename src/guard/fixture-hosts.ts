// The real broken and healthy hosts of the lab (fixtures/hosts: snapshots our collector took inside the VM),
// diagnosed once per test file: what the guard tests decide on.
import { join } from 'node:path';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel, type HostModel } from '../model/host-model.ts';
import { runChecks, type DiagnosisResult } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';

export const HOSTS_DIR = join(import.meta.dirname, '../../fixtures/hosts');

export async function diagnosedHost(name: string): Promise<{ model: HostModel; result: DiagnosisResult }> {
  const model = await buildHostModel(await openSnapshot(join(HOSTS_DIR, `${name}.tar.gz`)));
  return { model, result: runChecks(CHECKS, model) };
}
