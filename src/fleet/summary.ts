// What one host's diagnosis contributes to a fleet report: its root causes (each with the chain of findings it
// explains, its evidence and fix) and nothing else, so that a worker sends back a few kilobytes per host and the
// parent never holds whole diagnoses.
import type { DiagnosisResult } from '../checks/engine.ts';
import type { Finding, Fix, Severity } from '../checks/types.ts';
import type { Evidence } from '../findings/evidence.ts';
import type { HostModel } from '../model/host-model.ts';

export type Verdict = 'problem' | 'warnings' | 'incomplete' | 'ok';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 3, warning: 2, info: 1 };

export interface ChainLink {
  readonly id: string;
  readonly checkId: string;
  readonly severity: Severity;
  readonly message: string;
}

export interface CauseSummary {
  /** Hosts with equal keys share the cause and the fix: see causeKey(). */
  readonly key: string;
  readonly checkId: string;
  readonly messageId: string;
  readonly severity: Severity;
  readonly message: string;
  /** The piece of evidence that names the cause itself (e.g. the modprobe.d line), when it is a file line. */
  readonly cause?: string;
  readonly evidence: readonly Evidence[];
  /** What this root cause explains, depth-first, without the root itself. */
  readonly chain: readonly ChainLink[];
  readonly fix?: Fix;
  readonly next?: string;
}

export interface HostSummary {
  /** The name the fleet knows the host by: the snapshot's file name without .tar.gz (Ansible's inventory name). */
  readonly host: string;
  readonly file: string;
  /** The hostname the collector recorded, when the snapshot has one. */
  readonly hostname?: string;
  readonly kernelRelease?: string;
  readonly os?: string;
  readonly verdict: Verdict;
  /** Worst severity of any finding; undefined when there is none. */
  readonly worst?: Severity;
  readonly findings: number;
  readonly causes: readonly CauseSummary[];
  /** Checks that could not decide (unknown) or crashed (error), with the reason. */
  readonly undecided: readonly {
    readonly checkId: string;
    readonly status: string;
    readonly reason: string;
  }[];
}

/** The verdict of a diagnosis, the same in every report: info findings alone leave a host ok. */
export function verdictOf(result: DiagnosisResult): Verdict {
  if (result.findings.some((f) => f.severity === 'error')) {
    return 'problem';
  }
  if (result.findings.some((f) => f.severity === 'warning')) {
    return 'warnings';
  }
  return result.checks.some((c) => c.status === 'unknown' || c.status === 'error') ? 'incomplete' : 'ok';
}

/** Line numbers differ between hosts that share a cause ("/etc/modules:7" vs ":8"): keys compare without them. */
function withoutLineNumbers(key: string): string {
  return key.replace(/:\d+(?=:|$)/g, '');
}

/**
 * The evidence that names the cause: its first line of a file ("what blocks it" for a blocked module, the
 * refused rule after the journal lines of a failed load).
 */
function causeEvidence(f: Finding): string | undefined {
  const e = f.evidence.find((x) => x.source.startsWith('/') && x.text !== undefined);
  return e === undefined ? undefined : `${e.source}: ${(e.text ?? '').trim()}`;
}

/** Same check, same message, same subject (module, unit, file without line) and the same offending file line. */
export function causeKey(f: Finding): string {
  const cause = causeEvidence(f);
  return [f.checkId, f.messageId, withoutLineNumbers(f.key), ...(cause === undefined ? [] : [cause])].join(
    '\u0000',
  );
}

function chainOf(root: Finding, all: readonly Finding[]): ChainLink[] {
  const out: ChainLink[] = [];
  const seen = new Set<string>([root.id]);
  const visit = (parent: Finding): void => {
    for (const child of all.filter((c) => c.causedBy.includes(parent.id))) {
      if (!seen.has(child.id)) {
        seen.add(child.id);
        out.push({ id: child.id, checkId: child.checkId, severity: child.severity, message: child.message });
        visit(child);
      }
    }
  };
  visit(root);
  return out;
}

const MAX_EVIDENCE = 8;

export function summariseHost(
  host: string,
  file: string,
  model: HostModel,
  result: DiagnosisResult,
  hostname?: string,
): HostSummary {
  const ids = new Set(result.findings.map((f) => f.id));
  const roots = result.findings.filter((f) => !f.causedBy.some((c) => ids.has(c)));
  let worst: Severity | undefined;
  for (const f of result.findings) {
    if (worst === undefined || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) {
      worst = f.severity;
    }
  }
  return {
    host,
    file,
    ...(hostname === undefined ? {} : { hostname }),
    ...(model.release === undefined ? {} : { kernelRelease: model.release.value }),
    ...(model.os?.prettyName === undefined ? {} : { os: model.os.prettyName }),
    verdict: verdictOf(result),
    ...(worst === undefined ? {} : { worst }),
    findings: result.findings.length,
    causes: roots.map((f) => {
      const cause = causeEvidence(f);
      return {
        key: causeKey(f),
        checkId: f.checkId,
        messageId: f.messageId,
        severity: f.severity,
        message: f.message,
        ...(cause === undefined ? {} : { cause }),
        evidence: f.evidence.slice(0, MAX_EVIDENCE),
        chain: chainOf(f, result.findings),
        ...(f.fix === undefined ? {} : { fix: f.fix }),
        ...(f.next === undefined ? {} : { next: f.next }),
      };
    }),
    undecided: result.checks
      .filter((c) => c.status === 'unknown' || c.status === 'error')
      .map((c) => ({ checkId: c.checkId, status: c.status, reason: c.reason ?? '' })),
  };
}
