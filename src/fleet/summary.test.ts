import { describe, it, expect } from 'vitest';
import { verdictOf } from './summary.ts';
import type { DiagnosisResult } from '../checks/engine.ts';
import type { Finding, Severity } from '../checks/types.ts';

function finding(severity: Severity): Finding {
  return {
    id: `x/y#${severity}`,
    checkId: 'x/y',
    messageId: 'm',
    key: severity,
    data: {},
    evidence: [],
    severity,
    message: severity,
    causedBy: [],
    subjects: [],
  };
}

function result(severities: readonly Severity[], undecided = false): DiagnosisResult {
  return {
    checks: [{ checkId: 'x/y', title: 't', status: undecided ? 'unknown' : 'pass', findings: [] }],
    findings: severities.map(finding),
  } as unknown as DiagnosisResult;
}

describe('verdictOf (diagnose text, JSON, HTML and fleet all use it)', () => {
  it('is problem for an error, warnings for a warning, and leaves info notes ok', () => {
    expect(verdictOf(result(['info', 'error']))).toBe('problem');
    expect(verdictOf(result(['info', 'warning']))).toBe('warnings');
    expect(verdictOf(result(['info']))).toBe('ok');
    expect(verdictOf(result([]))).toBe('ok');
  });

  it('is incomplete when nothing was found but a check could not decide, info or not', () => {
    expect(verdictOf(result(['info'], true))).toBe('incomplete');
    expect(verdictOf(result([], true))).toBe('incomplete');
  });
});
