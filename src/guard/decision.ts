// Did each family's firewall come up this boot? The answer is what loader/restore-failed and
// loader/silent-failure already decided (their `ruleset-not-loaded:<file>` subject): the guard, the
// Prometheus report and `guard status` read it from the diagnosis instead of comparing rulesets again.
import type { DiagnosisResult } from '../checks/engine.ts';
import type { Finding } from '../checks/types.ts';
import type { HostModel } from '../model/host-model.ts';
import type { Family } from '../knowledge/extensions.ts';
import { countRules, isOpenRuleset } from '../model/ruleset-compare.ts';
import { liveView } from '../checks/loader/live-rules.ts';

export type FamilyVerdict =
  /** The live ruleset is the saved one (or differs only in what silent-failure calls informational). */
  | 'loaded'
  /** A loader check proved the saved rules are not (all) live. */
  | 'not-loaded'
  /** Nothing to compare: no saved rules of this family, or only an open (accept-all, rule-less) file. */
  | 'not-configured'
  /** The checks could not tell (no live ruleset readable, a check crashed). */
  | 'unknown';

export interface FamilyState {
  readonly family: Family;
  readonly verdict: FamilyVerdict;
  /** The saved rules files of this family. */
  readonly files: readonly string[];
  /** Findings that say the rules are not live (restore-failed, silent-failure). */
  readonly evidence: readonly Finding[];
  /** Their root causes (findings nothing else explains), most specific first. */
  readonly rootCauses: readonly Finding[];
  /** Every backend's live ruleset of this family holds no rule and only ACCEPT policies (or none exists). */
  readonly liveOpen: boolean | 'unknown';
  /** Why the verdict is unknown. */
  readonly reason?: string;
}

const LOADER_CHECKS = ['loader/restore-failed', 'loader/silent-failure'];

function rootsOf(findings: readonly Finding[], start: readonly Finding[]): Finding[] {
  const byId = new Map(findings.map((f) => [f.id, f]));
  const roots = new Map<string, Finding>();
  const seen = new Set<string>();
  const walk = (f: Finding): void => {
    if (seen.has(f.id)) {
      return;
    }
    seen.add(f.id);
    const causes = f.causedBy.map((id) => byId.get(id)).filter((c): c is Finding => c !== undefined);
    if (causes.length === 0) {
      roots.set(f.id, f);
    }
    causes.forEach(walk);
  };
  start.forEach(walk);
  return [...roots.values()];
}

/** Every backend's live ruleset of `family` is open: nothing filters, so an emergency ruleset replaces nothing. */
function liveOpen(model: HostModel, family: Family): boolean | 'unknown' {
  const view = liveView(model, family);
  if (view.status === 'unknown') {
    return 'unknown';
  }
  if (view.status === 'known' && !isOpenRuleset(view.ruleset)) {
    return false;
  }
  return !model.liveRules.some(
    (l) => l.family === family && l.ruleset !== undefined && !isOpenRuleset(l.ruleset),
  );
}

export function familyStates(model: HostModel, result: DiagnosisResult): FamilyState[] {
  const families: Family[] = ['ipv4', 'ipv6'];
  return families.map((family): FamilyState => {
    const saved = model.savedRules.filter(
      (s) => s.family === family && !(countRules(s.ruleset) === 0 && isOpenRuleset(s.ruleset)),
    );
    const files = saved.map((s) => s.path);
    const open = liveOpen(model, family);
    if (saved.length === 0) {
      return { family, verdict: 'not-configured', files, evidence: [], rootCauses: [], liveOpen: open };
    }
    const subjects = new Set(files.map((f) => `ruleset-not-loaded:${f}`));
    const evidence = result.findings.filter(
      (f) => LOADER_CHECKS.includes(f.checkId) && f.subjects.some((s) => subjects.has(s)),
    );
    if (evidence.length > 0) {
      return {
        family,
        verdict: 'not-loaded',
        files,
        evidence,
        rootCauses: rootsOf(result.findings, evidence),
        liveOpen: open,
      };
    }
    const undecided = result.checks.filter(
      (c) => LOADER_CHECKS.includes(c.checkId) && (c.status === 'unknown' || c.status === 'error'),
    );
    // silent-failure names each file it could not decide ("<file>: <why>"); a crashed check concerns all.
    const reason = undecided
      .filter((c) => c.status === 'error' || files.some((f) => (c.reason ?? '').includes(f)))
      .map((c) => `${c.checkId}: ${c.reason ?? c.status}`);
    if (reason.length > 0 || open === 'unknown') {
      return {
        family,
        verdict: 'unknown',
        files,
        evidence: [],
        rootCauses: [],
        liveOpen: open,
        reason: reason.join('; ') || `no live ${family} ruleset could be read`,
      };
    }
    return { family, verdict: 'loaded', files, evidence: [], rootCauses: [], liveOpen: open };
  });
}
