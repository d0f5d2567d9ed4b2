// The boot-time run of the guard: diagnose this host, decide per family, and when a family's firewall did
// not load: journal entry, boot.json, the node_exporter textfile, the login banner, and (--fail-closed) the
// emergency ruleset, after checking that the running kernel can provide every module it needs.
import type { HostModel } from '../model/host-model.ts';
import type { DiagnosisResult } from '../checks/engine.ts';
import type { CheckDefinition } from '../checks/types.ts';
import type { Family } from '../knowledge/extensions.ts';
import { checkRules } from '../resolve/check-rules.ts';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { diagnosisToJson } from '../report/diagnose-json.ts';
import { renderPrometheus } from '../report/prometheus.ts';
import { familyStates } from './decision.ts';
import { emergencyRuleset, type Allow, type Variant } from './emergency.ts';
import {
  BOOT_JSON,
  MOTD_FILE,
  journalEntries,
  motdText,
  type FailClosedOutcome,
  type FamilyReport,
} from './messages.ts';

export interface GuardConfig {
  readonly failClosed: boolean;
  readonly allow: readonly Allow[];
  readonly textfileDir?: string;
}

export interface RestoreResult {
  readonly ok: boolean;
  readonly command: string;
  readonly detail: string;
}

/** Everything the boot run changes on the host goes through here (tests record it; the CLI does it). */
export interface BootEffects {
  writeFile(path: string, text: string): Promise<void>;
  removeFile(path: string): Promise<void>;
  journal(fields: Readonly<Record<string, string>>): Promise<void>;
  restore(family: Family, text: string): Promise<RestoreResult>;
}

export const TEXTFILE_NAME = 'nfdoctor.prom';

/** Modules the emergency ruleset needs, resolved against the running kernel like any saved rules file. */
export async function emergencyProblems(model: HostModel, family: Family, text: string): Promise<string[]> {
  if (model.release === undefined) {
    return ['the running kernel release is unknown, so its modules cannot be checked'];
  }
  const result = await checkRules({
    rules: [{ path: `nfdoctor emergency ruleset (${family})`, text, family }],
    ipsets: [],
    kernelReader: model.reader,
    layout: hostKernelLayout(model.release.value, model.reader.kind, model.reader.label),
    userspaceReader: model.reader,
    ...(model.backend === undefined ? {} : { hostBackend: model.backend }),
  });
  const problems = result.results
    .filter((r) => !r.ok)
    .map((r) => {
      const m = r.modules[0];
      return `${r.requirement.extension} needs ${m === undefined ? r.requirement.requests.join('|') : `${m.name} (${m.state})`}`;
    });
  problems.push(...result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message));
  return problems;
}

async function failClosed(
  model: HostModel,
  family: Family,
  config: GuardConfig,
  effects: BootEffects,
): Promise<FailClosedOutcome> {
  const refusals: string[] = [];
  const variants: Variant[] = ['stateful', 'stateless'];
  for (const variant of variants) {
    const text = emergencyRuleset(family, config.allow, variant);
    const problems = await emergencyProblems(model, family, text);
    if (problems.length > 0) {
      refusals.push(`${variant}: ${problems.join(', ')}`);
      continue;
    }
    const r = await effects.restore(family, text);
    if (r.ok) {
      return { status: 'applied', variant, command: r.command };
    }
    refusals.push(`${variant}: ${r.command} failed: ${r.detail}`);
  }
  return { status: 'refused', reason: `the running kernel cannot take it (${refusals.join('; ')})` };
}

export interface BootOutcome {
  readonly reports: readonly FamilyReport[];
  readonly record: Record<string, unknown>;
  readonly good: boolean;
}

export async function runBoot(
  model: HostModel,
  result: DiagnosisResult,
  checks: readonly CheckDefinition[],
  config: GuardConfig,
  effects: BootEffects,
  meta: { readonly version: string; readonly time: Date; readonly bootId?: string },
): Promise<BootOutcome> {
  const states = familyStates(model, result);
  const reports: FamilyReport[] = [];
  for (const state of states) {
    let outcome: FailClosedOutcome = { status: config.failClosed ? 'not-needed' : 'off' };
    if (state.verdict === 'not-loaded' && config.failClosed) {
      // Never over rules that are there: a partly loaded or foreign ruleset is left as it is.
      outcome =
        state.liveOpen === true
          ? await failClosed(model, state.family, config, effects)
          : {
              status: 'refused',
              reason:
                state.liveOpen === false
                  ? `the live ${state.family} ruleset already has rules; the guard does not replace them`
                  : `the live ${state.family} ruleset could not be read`,
            };
    }
    reports.push({ state, failClosed: outcome });
  }
  for (const fields of journalEntries(reports, config.allow)) {
    await effects.journal(fields);
  }
  const emergency = new Map(reports.map((r) => [r.state.family, r.failClosed.status === 'applied']));
  const record = {
    schemaVersion: 1,
    time: meta.time.toISOString(),
    ...(meta.bootId === undefined ? {} : { bootId: meta.bootId }),
    failClosed: config.failClosed,
    allow: config.allow.map((a) => a.spec),
    families: reports.map((r) => ({
      family: r.state.family,
      verdict: r.state.verdict,
      files: r.state.files,
      liveOpen: r.state.liveOpen,
      ...(r.state.reason === undefined ? {} : { reason: r.state.reason }),
      findings: r.state.evidence.map((f) => f.id),
      rootCauses: r.state.rootCauses.map((f) => ({ id: f.id, message: f.message })),
      failClosed: r.failClosed,
    })),
    diagnosis: diagnosisToJson(model, result, meta.version),
  };
  await effects.writeFile(BOOT_JSON, `${JSON.stringify(record, null, 2)}\n`);
  if (config.textfileDir !== undefined) {
    await effects.writeFile(
      `${config.textfileDir}/${TEXTFILE_NAME}`,
      renderPrometheus({ states, result, checks, time: meta.time, emergency }),
    );
  }
  const live = new Set([...emergency].filter(([, on]) => on).map(([f]) => f));
  const motd = motdText(
    reports.map((r) => r.state),
    live,
  );
  if (motd === undefined) {
    await effects.removeFile(MOTD_FILE);
  } else {
    await effects.writeFile(MOTD_FILE, motd);
  }
  return { reports, record, good: !reports.some((r) => r.state.verdict === 'not-loaded') };
}
