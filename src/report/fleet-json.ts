// JSON form of a fleet report: stable, versioned, described by schema/fleet.schema.json.
import type { FleetReport } from '../fleet/aggregate.ts';
import { evidenceToJson, fixToJson } from './diagnose-json.ts';

export const FLEET_SCHEMA_VERSION = 1;

export function fleetToJson(report: FleetReport, toolVersion: string): Record<string, unknown> {
  return {
    schemaVersion: FLEET_SCHEMA_VERSION,
    tool: { name: 'nfdoctor', version: toolVersion },
    total: report.total,
    counts: report.counts,
    groups: report.groups.map((g) => ({
      id: g.id,
      severity: g.severity,
      checkId: g.cause.checkId,
      messageId: g.cause.messageId,
      message: g.cause.message,
      ...(g.cause.cause === undefined ? {} : { cause: g.cause.cause }),
      hostCount: g.hosts.length,
      hosts: g.hosts,
      example: g.hosts[0],
      chain: g.cause.chain,
      evidence: g.cause.evidence.map(evidenceToJson),
      ...(g.cause.fix === undefined ? {} : { fix: fixToJson(g.cause.fix) }),
      ...(g.cause.next === undefined ? {} : { next: g.cause.next }),
    })),
    hosts: report.hosts.map((h) => ({
      host: h.host,
      file: h.file,
      ...(h.hostname === undefined ? {} : { hostname: h.hostname }),
      ...(h.kernelRelease === undefined ? {} : { kernelRelease: h.kernelRelease }),
      verdict: h.verdict,
      ...(h.worst === undefined ? {} : { worst: h.worst }),
      groups: h.groups,
      undecided: h.undecided,
    })),
    unreadable: report.unreadable,
  };
}
