// Terminal form of a diagnosis: a verdict line, then findings as a tree (root causes first), each with its
// evidence, fix commands ready to paste, why, persistence, verification and what comes next.
import { iptablesVersionText } from './host-facts.ts';
import type { DiagnosisResult } from '../checks/engine.ts';
import type { Finding } from '../checks/types.ts';
import type { HostModel } from '../model/host-model.ts';
import { formatEvidence } from '../findings/evidence.ts';
import { PLAIN, type Style } from './check-text.ts';
import { renderCommand } from '../fixes/render-command.ts';

function findingBlock(f: Finding, depth: number, style: Style): string[] {
  const pad = '  '.repeat(depth);
  const mark =
    f.severity === 'error' ? style.bad('✗') : f.severity === 'warning' ? style.warn('!') : style.dim('i');
  const arrow = depth > 0 ? `${style.dim('└─ which causes:')} ` : '';
  const out = [`${pad}${arrow}${mark} ${style.bold(f.message)} ${style.dim(`[${f.checkId}]`)}`];
  const inner = `${pad}    `;
  out.push(`${inner}${style.dim('evidence:')}`);
  for (const e of f.evidence.slice(0, 8)) {
    out.push(`${inner}  ${formatEvidence(e)}`);
  }
  if (f.fix !== undefined) {
    out.push(`${inner}${style.dim('fix:')}`);
    for (const a of f.fix.actions) {
      const risk = a.kind !== 'manual' && a.risk === 'review' ? ` ${style.warn('[review]')}` : '';
      const lines = renderCommand(a).split('\n');
      lines.forEach((l, i) => {
        out.push(
          `${inner}  ${a.kind === 'manual' && l.startsWith('# ') ? style.dim(l) : style.good(l)}${i === 0 ? risk : ''}`,
        );
      });
      out.push(`${inner}    ${style.dim(`why: ${a.why}`)}`);
    }
    out.push(`${inner}${style.dim('persists:')} ${f.fix.persistence}`);
    out.push(`${inner}${style.dim('verify:')} ${f.fix.verify}`);
  }
  if (f.next !== undefined) {
    out.push(`${inner}${style.dim('next:')} ${f.next}`);
  }
  return out;
}

/** What kind of host this is, in a few facts: the frame every finding is read in. */
function hostSummary(model: HostModel, style: Style): string[] {
  const kernel = model.kernel;
  const support = kernel?.moduleSupport.value;
  const modules =
    support === 'no'
      ? 'no module support (only built-in netfilter code works)'
      : kernel?.deps === undefined
        ? `no ${kernel?.modulesDir ?? '/lib/modules/<release>'}/modules.dep`
        : `${kernel.deps.size} modules in ${kernel.modulesDir}`;
  const loaders = model.savedRules.map((r) => `${r.path} (${r.loader})`).join(', ');
  const facts = [
    `kernel: ${model.release?.value ?? 'unknown'}, ${modules}`,
    `init: ${model.systemd ? 'systemd' : 'not systemd'}${model.virt === undefined || model.virt === '' ? '' : `, virtualisation: ${model.virt}`}`,
    `iptables: ${iptablesVersionText(model)}${model.backend === undefined ? '' : ` (backend ${model.backend.value}: ${model.backend.why})`}`,
    `saved rules: ${loaders === '' ? 'none' : loaders}`,
  ];
  return facts.map((f) => style.dim(`  ${f}`));
}

export function renderDiagnosisText(model: HostModel, result: DiagnosisResult, style: Style = PLAIN): string {
  const errors = result.findings.filter((f) => f.severity === 'error');
  const warnings = result.findings.filter((f) => f.severity === 'warning');
  const unknowns = result.checks.filter((c) => c.status === 'unknown' || c.status === 'error');
  const host = `${model.source.label}${model.release === undefined ? '' : `, kernel ${model.release.value}`}${model.os?.prettyName === undefined ? '' : `, ${model.os.prettyName}`}`;
  const lines: string[] = [];
  if (errors.length > 0) {
    lines.push(
      `${style.bad('FIREWALL PROBLEM')} on ${host}: ${errors.length} error(s), ${warnings.length} warning(s). Root cause first.`,
    );
  } else if (warnings.length > 0) {
    lines.push(`${style.warn('WARNINGS')} on ${host}: ${warnings.length} warning(s), no error.`);
  } else if (unknowns.length > 0) {
    lines.push(
      `${style.warn('INCOMPLETE')} on ${host}: no problem found, but ${unknowns.length} check(s) could not decide (below).`,
    );
  } else {
    lines.push(`${style.good('OK')} on ${host}: no problem found by ${result.checks.length} checks.`);
  }
  lines.push(...hostSummary(model, style), '');
  const byId = new Map(result.findings.map((f) => [f.id, f]));
  const printed = new Set<string>();
  const visit = (f: Finding, depth: number): void => {
    if (printed.has(f.id)) {
      return;
    }
    printed.add(f.id);
    lines.push(...findingBlock(f, depth, style), '');
    for (const child of result.findings.filter((c) => c.causedBy.includes(f.id))) {
      visit(child, depth + 1);
    }
  };
  for (const f of result.findings.filter((x) => !x.causedBy.some((c) => byId.has(c)))) {
    visit(f, 0);
  }
  for (const c of unknowns) {
    lines.push(`${style.warn('?')} ${c.checkId}: ${c.status} — ${c.reason ?? ''}`);
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
