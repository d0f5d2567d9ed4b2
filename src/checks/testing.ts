// Helpers for check tests: run one check (and the checks it links to) against a host.
import type { HostReader } from '../sources/host-reader.ts';
import { buildHostModel, type HostModel } from '../model/host-model.ts';
import { runChecks, type CheckRun, type DiagnosisResult } from './engine.ts';
import { CHECKS } from './index.ts';

export interface CheckOutcome {
  readonly run: CheckRun;
  readonly result: DiagnosisResult;
  readonly model: HostModel;
}

/** Runs every check up to and including `id` (earlier checks are the root causes it may link to). */
export async function runCheckOn(id: string, reader: HostReader): Promise<CheckOutcome> {
  const model = await buildHostModel(reader);
  const upto = CHECKS.findIndex((c) => c.meta.id === id);
  if (upto < 0) {
    throw new Error(`no check ${id}`);
  }
  const result = runChecks(CHECKS.slice(0, upto + 1), model);
  const run = result.checks.find((c) => c.checkId === id);
  if (run === undefined) {
    throw new Error(`check ${id} did not run`);
  }
  return { run, result, model };
}
