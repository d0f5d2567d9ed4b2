// Runs checks in order against one host model and builds the causal chain: root causes first.
import type { CheckContext, CheckDefinition, CheckStatus, Finding, FindingInput } from './types.ts';
import type { HostModel } from '../model/host-model.ts';

export interface CheckRun {
  readonly checkId: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly reason?: string;
  readonly findings: readonly Finding[];
}

export interface DiagnosisResult {
  readonly checks: readonly CheckRun[];
  /** Every finding, root causes first, each followed by what it explains. */
  readonly findings: readonly Finding[];
}

export function renderMessage(template: string, data: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const v = data[name];
    return v === undefined ? whole : String(v);
  });
}

function toFinding(check: CheckDefinition, input: FindingInput): Finding {
  const template = check.meta.messages[input.messageId];
  if (template === undefined) {
    throw new Error(`${check.meta.id}: unknown messageId "${input.messageId}"`);
  }
  if (input.evidence.length === 0) {
    throw new Error(`${check.meta.id}: finding ${input.key} has no evidence`);
  }
  return {
    ...input,
    id: `${check.meta.id}#${input.key}`,
    checkId: check.meta.id,
    severity: input.severity ?? check.meta.severity,
    message: renderMessage(template, input.data),
    causedBy: input.causedBy ?? [],
    subjects: input.subjects ?? [],
  };
}

function runOne(check: CheckDefinition, model: HostModel, earlier: readonly Finding[]): CheckRun {
  const own: Finding[] = [];
  const ctx: CheckContext = {
    model,
    findings: earlier,
    findingsAbout: (subject) => earlier.filter((f) => f.subjects.includes(subject)),
    report: (input) => {
      if (!own.some((f) => f.id === `${check.meta.id}#${input.key}`)) {
        own.push(toFinding(check, input));
      }
    },
  };
  const base = { checkId: check.meta.id, title: check.meta.title };
  try {
    const undecided = check.run(ctx);
    if (undecided !== undefined && own.length === 0) {
      return { ...base, status: undecided.status, reason: undecided.reason, findings: [] };
    }
    return { ...base, status: own.length > 0 ? 'fail' : 'pass', findings: own };
  } catch (err) {
    // A crashed check is an error, never a pass.
    return {
      ...base,
      status: 'error',
      reason: err instanceof Error ? err.message : String(err),
      findings: [],
    };
  }
}

/** Orders findings so that each root cause comes before the findings it explains (depth-first). */
export function orderRootCausesFirst(findings: readonly Finding[]): Finding[] {
  const byId = new Map(findings.map((f) => [f.id, f]));
  const children = new Map<string, Finding[]>();
  for (const f of findings) {
    for (const c of f.causedBy) {
      if (byId.has(c)) {
        const list = children.get(c) ?? [];
        list.push(f);
        children.set(c, list);
      }
    }
  }
  const severityRank = { error: 0, warning: 1, info: 2 } as const;
  // Impact: how many findings a root explains, directly or through others (a cause with more
  // consequences comes first among roots of the same severity).
  const reach = (id: string): number => {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length > 0) {
      for (const c of children.get(stack.pop() ?? '') ?? []) {
        if (!seen.has(c.id)) {
          seen.add(c.id);
          stack.push(c.id);
        }
      }
    }
    return seen.size;
  };
  const roots = findings
    .filter((f) => !f.causedBy.some((c) => byId.has(c)))
    .map((f) => ({ f, impact: reach(f.id) }))
    .sort((a, b) => severityRank[a.f.severity] - severityRank[b.f.severity] || b.impact - a.impact)
    .map((x) => x.f);
  const out: Finding[] = [];
  const seen = new Set<string>();
  const visit = (f: Finding): void => {
    if (seen.has(f.id)) {
      return;
    }
    seen.add(f.id);
    out.push(f);
    for (const c of children.get(f.id) ?? []) {
      visit(c);
    }
  };
  roots.forEach(visit);
  findings.forEach(visit);
  return out;
}

export function runChecks(checks: readonly CheckDefinition[], model: HostModel): DiagnosisResult {
  const runs: CheckRun[] = [];
  const all: Finding[] = [];
  for (const check of checks) {
    const run = runOne(check, model, all);
    runs.push(run);
    all.push(...run.findings);
  }
  return { checks: runs, findings: orderRootCausesFirst(all) };
}
