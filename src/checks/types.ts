// The shape of a check (one unit of knowledge) and of what it reports. Modelled on ESLint rules: meta with
// typed message ids, a run function, findings as data with evidence, fixes as data.
import type { Evidence } from '../findings/evidence.ts';
import type { HostModel } from '../model/host-model.ts';
import type { Action } from '../fixes/actions.ts';

export type Severity = 'error' | 'warning' | 'info';
export type CheckStatus = 'fail' | 'pass' | 'unknown' | 'not-applicable' | 'error';

export interface Fix {
  /** What repairs the finding, in order: typed actions only (fixes/actions.ts); free text only as `manual`. */
  readonly actions: readonly Action[];
  /** How the fix persists across reboot. */
  readonly persistence: string;
  /** How the user can check that it worked. */
  readonly verify: string;
}

export interface FindingInput {
  readonly messageId: string;
  /** Unique within the check for this host: the module, unit, file:line the finding is about. */
  readonly key: string;
  readonly data: Readonly<Record<string, string | number>>;
  readonly evidence: readonly Evidence[];
  /** Tags other checks link to: "module:xt_recent", "unit:netfilter-persistent.service", "rules:/etc/iptables/rules.v4". */
  readonly subjects?: readonly string[];
  /** Ids of findings that explain this one (root causes), as returned by CheckContext.findingsAbout. */
  readonly causedBy?: readonly string[];
  readonly fix?: Fix;
  /** What the user will likely hit next. */
  readonly next?: string;
  /** Overrides the check's severity for this finding. */
  readonly severity?: Severity;
}

export interface Finding extends FindingInput {
  /** "<checkId>#<key>" */
  readonly id: string;
  readonly checkId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly causedBy: readonly string[];
  readonly subjects: readonly string[];
}

export interface CheckMeta {
  /** Permanent kebab-case id, grouped by area: "kmod/module-unavailable". Equals the folder under src/checks. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** Message templates with {{name}} placeholders filled from FindingInput.data. */
  readonly messages: Readonly<Record<string, string>>;
}

export interface CheckContext {
  readonly model: HostModel;
  report(finding: FindingInput): void;
  /** Findings of checks that ran before this one that carry `subject`. */
  findingsAbout(subject: string): readonly Finding[];
  readonly findings: readonly Finding[];
}

/** Returned by run() when the check cannot decide: it never passes on missing input. */
export interface Undecided {
  readonly status: 'unknown' | 'not-applicable';
  readonly reason: string;
}

export interface CheckDefinition {
  readonly meta: CheckMeta;
  run(ctx: CheckContext): Undecided | undefined;
}

export function defineCheck(def: CheckDefinition): CheckDefinition {
  return def;
}

export function unknown(reason: string): Undecided {
  return { status: 'unknown', reason };
}

export function notApplicable(reason: string): Undecided {
  return { status: 'not-applicable', reason };
}

/**
 * What `check` found for the saved rules on this host, or why a check that reads it cannot decide: no saved
 * rules (not applicable), or rules that could not be resolved (unknown).
 */
export function savedRulesCheck(model: HostModel): NonNullable<HostModel['needs']> | Undecided {
  if (model.savedRules.length === 0) {
    return notApplicable('no saved iptables rules on this host');
  }
  return model.needs ?? unknown('the saved rules were not resolved (the running kernel release is unknown)');
}
