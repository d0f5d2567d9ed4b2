// Folds host outcomes into a fleet report one at a time: hosts that share a root cause become one group with one
// fix plan. Only the group's representative cause (from the host that sorts first) and host names are kept, so
// memory grows with the number of distinct causes and the names, never with whole diagnoses.
import type { Severity } from '../checks/types.ts';
import { SEVERITY_RANK, type CauseSummary, type HostSummary, type Verdict } from './summary.ts';

export type HostOutcome =
  | { readonly kind: 'diagnosed'; readonly summary: HostSummary }
  | { readonly kind: 'unreadable'; readonly host: string; readonly file: string; readonly reason: string };

export interface FleetGroup {
  /** Stable within one report: g1 is the worst group. */
  readonly id: string;
  readonly severity: Severity;
  readonly cause: CauseSummary;
  /** Sorted host names. */
  readonly hosts: readonly string[];
}

export interface FleetHost {
  readonly host: string;
  readonly file: string;
  readonly hostname?: string;
  readonly kernelRelease?: string;
  readonly verdict: Verdict;
  readonly worst?: Severity;
  /** Ids of the groups this host is in, worst first. */
  readonly groups: readonly string[];
  readonly undecided: readonly string[];
}

export interface FleetReport {
  readonly total: number;
  readonly groups: readonly FleetGroup[];
  /** Every host that could be read, sorted by name. */
  readonly hosts: readonly FleetHost[];
  readonly unreadable: readonly { readonly host: string; readonly file: string; readonly reason: string }[];
  readonly counts: Readonly<Record<Verdict | 'unreadable', number>>;
}

interface MutableGroup {
  cause: CauseSummary;
  representative: string;
  hosts: string[];
}

export class FleetAggregator {
  private readonly groups = new Map<string, MutableGroup>();
  private readonly hosts: (Omit<FleetHost, 'groups'> & { readonly causeKeys: readonly string[] })[] = [];
  private readonly unreadable: { host: string; file: string; reason: string }[] = [];
  private readonly names = new Set<string>();

  /** Two snapshots with the same file name in different directories stay two hosts. */
  private uniqueName(host: string, file: string): string {
    const name = this.names.has(host) ? file : host;
    this.names.add(name);
    return name;
  }

  add(outcome: HostOutcome): void {
    if (outcome.kind === 'unreadable') {
      this.unreadable.push({
        host: this.uniqueName(outcome.host, outcome.file),
        file: outcome.file,
        reason: outcome.reason,
      });
      return;
    }
    const s = outcome.summary;
    const host = this.uniqueName(s.host, s.file);
    const keys: string[] = [];
    for (const cause of s.causes) {
      if (keys.includes(cause.key)) {
        continue;
      }
      keys.push(cause.key);
      const g = this.groups.get(cause.key);
      if (g === undefined) {
        this.groups.set(cause.key, { cause, representative: host, hosts: [host] });
      } else {
        g.hosts.push(host);
        if (host < g.representative) {
          g.cause = cause;
          g.representative = host;
        }
      }
    }
    this.hosts.push({
      host,
      file: s.file,
      ...(s.hostname === undefined ? {} : { hostname: s.hostname }),
      ...(s.kernelRelease === undefined ? {} : { kernelRelease: s.kernelRelease }),
      verdict: s.verdict,
      ...(s.worst === undefined ? {} : { worst: s.worst }),
      causeKeys: keys,
      undecided: s.undecided.map((u) => `${u.checkId}: ${u.status} (${u.reason})`),
    });
  }

  finish(): FleetReport {
    const sorted = [...this.groups.entries()].sort(
      ([, a], [, b]) =>
        SEVERITY_RANK[b.cause.severity] - SEVERITY_RANK[a.cause.severity] ||
        b.hosts.length - a.hosts.length ||
        a.cause.checkId.localeCompare(b.cause.checkId) ||
        a.cause.message.localeCompare(b.cause.message),
    );
    const idOf = new Map<string, string>();
    const groups: FleetGroup[] = sorted.map(([key, g], i) => {
      const id = `g${i + 1}`;
      idOf.set(key, id);
      return { id, severity: g.cause.severity, cause: g.cause, hosts: [...g.hosts].sort(byName) };
    });
    const rank = (id: string): number => Number(id.slice(1));
    const hosts: FleetHost[] = this.hosts
      .map(({ causeKeys, ...h }) => ({
        ...h,
        groups: causeKeys.map((k) => idOf.get(k) ?? '').sort((a, b) => rank(a) - rank(b)),
      }))
      .sort((a, b) => byName(a.host, b.host));
    const counts = { problem: 0, warnings: 0, incomplete: 0, ok: 0, unreadable: this.unreadable.length };
    for (const h of hosts) {
      counts[h.verdict]++;
    }
    return {
      total: hosts.length + this.unreadable.length,
      groups,
      hosts,
      unreadable: [...this.unreadable].sort((a, b) => byName(a.host, b.host)),
      counts,
    };
  }
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** diagnose's exit rule across hosts: 2 when a snapshot could not be used, 1 when a finding reaches the threshold. */
export function fleetExitCode(report: FleetReport, threshold: number): 0 | 1 | 2 {
  if (report.unreadable.length > 0) {
    return 2;
  }
  return report.hosts.some((h) => h.worst !== undefined && SEVERITY_RANK[h.worst] >= threshold) ? 1 : 0;
}
