// Prometheus text exposition format 0.0.4 (what node_exporter's textfile collector reads): one HELP and one
// TYPE line per metric family, then its samples; label values escape \, " and newline.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
import type { DiagnosisResult } from '../checks/engine.ts';
import type { CheckDefinition, Severity } from '../checks/types.ts';
import type { FamilyState } from '../guard/decision.ts';

export interface PrometheusInput {
  readonly states: readonly FamilyState[];
  readonly result: DiagnosisResult;
  readonly checks: readonly CheckDefinition[];
  /** When the diagnosis ran. */
  readonly time: Date;
  /** Families whose guard emergency ruleset is live (guard runs only). */
  readonly emergency?: ReadonlyMap<string, boolean>;
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Readonly<Record<string, string>>): string {
  const body = Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
  return body === '' ? '' : `{${body}}`;
}

function family(name: string, help: string, samples: readonly string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples];
}

export function renderPrometheus(input: PrometheusInput): string {
  const decided = input.states.filter((s) => s.verdict === 'loaded' || s.verdict === 'not-loaded');
  const counts = new Map<string, number>();
  for (const f of input.result.findings) {
    const key = `${f.checkId}\u0000${f.severity}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const ids = [
    ...new Set([...input.checks.map((c) => c.meta.id), ...input.result.checks.map((c) => c.checkId)]),
  ];
  const lines = [
    ...family(
      'nfdoctor_firewall_loaded',
      'Whether the saved firewall rules of this address family are live (1) or not (0); absent when the family has no saved rules or could not be decided.',
      decided.map(
        (s) =>
          `nfdoctor_firewall_loaded${labels({ family: s.family })} ${s.verdict === 'loaded' ? '1' : '0'}`,
      ),
    ),
    ...family(
      'nfdoctor_firewall_state',
      'Verdict per address family: 1 for the current state (loaded, not-loaded, not-configured, unknown).',
      input.states.map((s) => `nfdoctor_firewall_state${labels({ family: s.family, state: s.verdict })} 1`),
    ),
    ...family(
      'nfdoctor_findings',
      'Number of findings of the last run, by check and severity.',
      ids.flatMap((id) =>
        SEVERITIES.map(
          (sev) =>
            `nfdoctor_findings${labels({ check: id, severity: sev })} ${String(counts.get(`${id}\u0000${sev}`) ?? 0)}`,
        ),
      ),
    ),
    ...family(
      'nfdoctor_check_incomplete',
      'Checks of the last run that could not decide (status unknown or error).',
      [
        `nfdoctor_check_incomplete ${String(input.result.checks.filter((c) => c.status === 'unknown' || c.status === 'error').length)}`,
      ],
    ),
    ...(input.emergency === undefined
      ? []
      : family(
          'nfdoctor_guard_emergency_ruleset',
          'Whether the boot guard loaded its fail-closed emergency ruleset for this family (1) or not (0).',
          [...input.emergency].map(
            ([fam, on]) => `nfdoctor_guard_emergency_ruleset${labels({ family: fam })} ${on ? '1' : '0'}`,
          ),
        )),
    ...family('nfdoctor_last_run_timestamp_seconds', 'Unix time of the run that wrote these metrics.', [
      `nfdoctor_last_run_timestamp_seconds ${String(Math.floor(input.time.getTime() / 1000))}`,
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
