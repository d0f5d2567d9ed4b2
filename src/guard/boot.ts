// The guard's report after boot (nfdoctor-guard-report.service): diagnose this host, decide per family, and
// when a family's firewall did not load: journal entry with the root cause, boot.json, the node_exporter
// textfile, the login banner. What the pre-network check (src/guard/fast.ts) did about fail-closed comes from
// its state file.
import type { HostModel } from '../model/host-model.ts';
import type { DiagnosisResult } from '../checks/engine.ts';
import type { CheckDefinition } from '../checks/types.ts';
import type { Backend, Family } from '../knowledge/extensions.ts';
import { checkRules } from '../resolve/check-rules.ts';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { modulesLoadedFor } from '../resolve/loaded-set.ts';
import { diagnosisToJson } from '../report/diagnose-json.ts';
import { renderPrometheus } from '../report/prometheus.ts';
import { familyStates, type FamilyState } from './decision.ts';
import type { Allow } from './emergency.ts';
import { FAST_STATE, type FastState } from './fast.ts';
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

/** Everything the boot report changes on the host goes through here (tests record it; the CLI does it). */
export interface BootEffects {
  writeFile(path: string, text: string): Promise<void>;
  removeFile(path: string): Promise<void>;
  journal(fields: Readonly<Record<string, string>>): Promise<void>;
}

export const TEXTFILE_NAME = 'nfdoctor.prom';

function checkEmergency(model: HostModel, family: Family, text: string, backend?: Backend) {
  if (model.release === undefined) {
    return undefined;
  }
  return checkRules({
    rules: [{ path: `nfdoctor emergency ruleset (${family})`, text, family }],
    ipsets: [],
    kernelReader: model.reader,
    layout: hostKernelLayout(model.release.value, model.reader.kind, model.reader.label),
    userspaceReader: model.reader,
    ...(backend === undefined ? {} : { backend: { value: backend, why: 'the guard preloads for it' } }),
    ...(model.backend === undefined ? {} : { hostBackend: model.backend }),
  });
}

/** Modules the emergency ruleset needs, resolved against the running kernel like any saved rules file. */
export async function emergencyProblems(model: HostModel, family: Family, text: string): Promise<string[]> {
  const result = await checkEmergency(model, family, text);
  if (result === undefined) {
    return ['the running kernel release is unknown, so its modules cannot be checked'];
  }
  const problems = result.results
    .filter((r) => !r.ok)
    .map((r) => {
      const m = r.modules[0];
      return `${r.requirement.extension} needs ${m === undefined ? r.requirement.requests.join('|') : `${m.name} (${m.state})`}`;
    });
  problems.push(...result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message));
  return problems;
}

/**
 * The modules (not built in) that restoring the emergency rulesets of `family` brings into the running kernel
 * on `backend`, with what they depend on: nfdoctor's own prediction (the one `check` uses, measured against a
 * real kernel by lab/scenarios/module-probes.sh). The pre-network script loads the missing ones in one modprobe
 * before the restore. Empty when the running kernel's metadata cannot be read.
 */
export async function emergencyModules(
  model: HostModel,
  family: Family,
  backend: Backend,
  texts: readonly string[],
): Promise<string[]> {
  const out = new Set<string>();
  for (const text of texts) {
    const result = await checkEmergency(model, family, text, backend);
    for (const m of result === undefined ? [] : modulesLoadedFor(result.kernel, result.results)) {
      out.add(m);
    }
  }
  return [...out].sort();
}

/**
 * What the pre-network check did about fail-closed for a family the diagnosis found not loaded. The Node
 * part never loads rules itself: after boot the network is up, and the pre-network check is the one place
 * where "nothing is live" was true before any interface came up.
 */
export function failClosedOutcome(
  state: FamilyState,
  config: GuardConfig,
  fast: FastState | undefined,
): FailClosedOutcome {
  if (!config.failClosed) {
    return { status: 'off' };
  }
  const f = fast?.families[state.family];
  if (f?.failClosed === 'applied') {
    return { status: 'applied', variant: f.variant ?? 'stateful', command: f.command ?? 'iptables-restore' };
  }
  if (state.verdict !== 'not-loaded') {
    return { status: 'not-needed' };
  }
  if (f === undefined) {
    return { status: 'refused', reason: `the pre-network check did not run this boot (no ${FAST_STATE})` };
  }
  if (f.failClosed === 'refused') {
    const tried = f.refusals.length === 0 ? '' : ` (${f.refusals.join('; ')})`;
    return { status: 'refused', reason: `${f.detail ?? 'refused'}${tried}` };
  }
  return {
    status: 'refused',
    reason:
      f.verdict === 'live'
        ? `the live ${state.family} ruleset already had rules before the network came up; the guard does not replace them`
        : `the pre-network check found the ${state.family} firewall ${f.verdict}${f.detail === undefined ? '' : ` (${f.detail})`}`,
  };
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
  fast?: FastState,
): Promise<BootOutcome> {
  const states = familyStates(model, result);
  const reports: FamilyReport[] = states.map((state) => ({
    state,
    failClosed: failClosedOutcome(state, config, fast),
  }));
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
    ...(fast === undefined ? {} : { preNetwork: fast }),
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
