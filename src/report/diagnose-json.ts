// JSON form of a diagnosis: stable, versioned, described by schema/diagnose.schema.json.
import type { DiagnosisResult } from '../checks/engine.ts';
import type { HostModel } from '../model/host-model.ts';
import { renderSteps } from '../fixes/render-command.ts';

export const DIAGNOSE_SCHEMA_VERSION = 1;

export function diagnosisToJson(
  model: HostModel,
  result: DiagnosisResult,
  toolVersion: string,
): Record<string, unknown> {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
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
    verdict:
      errors > 0
        ? 'problem'
        : result.findings.length > 0
          ? 'warnings'
          : result.checks.some((c) => c.status === 'unknown' || c.status === 'error')
            ? 'incomplete'
            : 'ok',
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
      evidence: f.evidence.map((e) => ({
        source: e.source,
        ...(e.line === undefined ? {} : { line: e.line }),
        ...(e.text === undefined ? {} : { text: e.text }),
        ...(e.note === undefined ? {} : { note: e.note }),
      })),
      causedBy: f.causedBy,
      subjects: f.subjects,
      ...(f.fix === undefined
        ? {}
        : {
            fix: {
              // steps[]: paste-ready commands (kept for schema 1 consumers); actions[]: the same fix as data.
              steps: renderSteps(f.fix.actions),
              actions: f.fix.actions,
              persistence: f.fix.persistence,
              verify: f.fix.verify,
            },
          }),
      ...(f.next === undefined ? {} : { next: f.next }),
    })),
  };
}
