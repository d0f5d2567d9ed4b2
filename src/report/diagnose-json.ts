// JSON form of a diagnosis: stable, versioned, described by schema/diagnose.schema.json.
import type { DiagnosisResult } from '../checks/engine.ts';
import { verdictOf } from '../fleet/summary.ts';
import type { HostModel } from '../model/host-model.ts';
import { renderSteps } from '../fixes/render-command.ts';
import type { Fix } from '../checks/types.ts';
import type { Evidence } from '../findings/evidence.ts';

export const DIAGNOSE_SCHEMA_VERSION = 1;

export function evidenceToJson(e: Evidence): Record<string, unknown> {
  return {
    source: e.source,
    ...(e.line === undefined ? {} : { line: e.line }),
    ...(e.text === undefined ? {} : { text: e.text }),
    ...(e.note === undefined ? {} : { note: e.note }),
  };
}

/** The fix of a finding; the fleet report uses the same shape (schema/fleet.schema.json refers to it). */
export function fixToJson(fix: Fix): Record<string, unknown> {
  // steps[]: paste-ready commands (kept for schema 1 consumers); actions[]: the same fix as data.
  return {
    steps: renderSteps(fix.actions),
    actions: fix.actions,
    persistence: fix.persistence,
    verify: fix.verify,
  };
}

export function diagnosisToJson(
  model: HostModel,
  result: DiagnosisResult,
  toolVersion: string,
): Record<string, unknown> {
  return {
    schemaVersion: DIAGNOSE_SCHEMA_VERSION,
    tool: { name: 'nfdoctor', version: toolVersion },
    host: {
      source: model.source.kind,
      label: model.source.label,
      ...(model.release === undefined ? {} : { kernelRelease: model.release.value }),
      ...(model.os?.prettyName === undefined ? {} : { os: model.os.prettyName }),
      systemd: model.systemd,
      ...(model.virt === undefined ? {} : { virt: model.virt }),
    },
    verdict: verdictOf(result),
    checks: result.checks.map((c) => ({
      checkId: c.checkId,
      title: c.title,
      status: c.status,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      findings: c.findings.map((f) => f.id),
    })),
    findings: result.findings.map((f) => ({
      id: f.id,
      checkId: f.checkId,
      messageId: f.messageId,
      severity: f.severity,
      message: f.message,
      evidence: f.evidence.map(evidenceToJson),
      causedBy: f.causedBy,
      subjects: f.subjects,
      ...(f.fix === undefined ? {} : { fix: fixToJson(f.fix) }),
      ...(f.next === undefined ? {} : { next: f.next }),
    })),
  };
}
