// HTML form of one host's diagnosis: verdict, host facts, findings by check as a bar chart, filters, then every
// finding root cause first, linked to what it causes and what explains it, with evidence, fix and next step.
import { iptablesVersionText } from './host-facts.ts';
import type { DiagnosisResult } from '../checks/engine.ts';
import type { Finding, Severity } from '../checks/types.ts';
import type { HostModel } from '../model/host-model.ts';
import { verdictOf } from '../fleet/summary.ts';
import { barChart, esc, evidenceList, filters, fixBlock, page, severityBadge } from './html.ts';

const VERDICT: Readonly<Record<ReturnType<typeof verdictOf>, [Severity | 'ok', string]>> = {
  problem: ['error', 'Firewall problem'],
  warnings: ['warning', 'Warnings'],
  incomplete: ['warning', 'Incomplete: no problem found, but some checks could not decide'],
  ok: ['ok', 'OK: no problem found'],
};

function findingCard(f: Finding, anchor: ReadonlyMap<string, string>, result: DiagnosisResult): string {
  const link = (id: string): string => {
    const to = anchor.get(id);
    return to === undefined ? `<code>${esc(id)}</code>` : `<a href="#${to}">${esc(id)}</a>`;
  };
  const causes = result.findings.filter((c) => c.causedBy.includes(f.id)).map((c) => link(c.id));
  const explainedBy = f.causedBy.filter((c) => anchor.has(c)).map(link);
  return `<section class="card ${f.severity}" id="${anchor.get(f.id) ?? ''}" data-severity="${f.severity}" data-check="${esc(f.checkId)}">
<h3>${severityBadge(f.severity)} ${esc(f.message)}</h3>
<div class="check">${esc(f.checkId)} · <code>${esc(f.id)}</code></div>
<dl>
${explainedBy.length > 0 ? `<dt>Caused by</dt><dd>${explainedBy.join(', ')}</dd>` : ''}
${causes.length > 0 ? `<dt>Which causes</dt><dd>${causes.join(', ')}</dd>` : ''}
<dt>Evidence</dt><dd>${evidenceList(f.evidence.slice(0, 12))}</dd>
${fixBlock(f.fix, f.next)}
</dl>
</section>`;
}

export function renderDiagnosisHtml(model: HostModel, result: DiagnosisResult, toolVersion: string): string {
  const [cls, headline] = VERDICT[verdictOf(result)];
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.filter((f) => f.severity === 'warning').length;
  const anchor = new Map(result.findings.map((f, i) => [f.id, `f${i + 1}`]));
  const facts = [
    `kernel: ${model.release?.value ?? 'unknown'}`,
    ...(model.os?.prettyName === undefined ? [] : [`os: ${model.os.prettyName}`]),
    `init: ${model.systemd ? 'systemd' : 'not systemd'}`,
    `iptables: ${iptablesVersionText(model)}`,
    `saved rules: ${model.savedRules.map((r) => `${r.path} (${r.loader})`).join(', ') || 'none'}`,
  ];
  const byCheck = new Map<string, Finding[]>();
  for (const f of result.findings) {
    byCheck.set(f.checkId, [...(byCheck.get(f.checkId) ?? []), f]);
  }
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const bars = [...byCheck.entries()]
    .map(([check, fs]) => ({
      label: check,
      value: fs.length,
      href: `#${anchor.get(fs[0]?.id ?? '') ?? ''}`,
      severity: fs.map((f) => f.severity).sort((a, b) => rank[a] - rank[b])[0] ?? 'info',
    }))
    .sort((a, b) => rank[a.severity] - rank[b.severity] || b.value - a.value);
  const undecided = result.checks.filter((c) => c.status === 'unknown' || c.status === 'error');
  const body = `<header>
<h1>nfdoctor: ${esc(model.source.label)}</h1>
<div class="verdict ${cls}" id="verdict">${esc(headline)}: ${errors} error(s), ${warnings} warning(s), ${result.checks.length} checks</div>
<ul class="facts">${facts.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
</header>
${barChart('Findings by check', bars)}
${result.findings.length > 0 ? filters(result.findings.map((f) => f.checkId)) : ''}
<h2>Findings, root cause first</h2>
${result.findings.length === 0 ? '<p>No finding.</p>' : result.findings.map((f) => findingCard(f, anchor, result)).join('\n')}
${
  undecided.length === 0
    ? ''
    : `<h2>Checks that could not decide</h2><ul>${undecided
        .map((c) => `<li><code>${esc(c.checkId)}</code>: ${esc(c.status)}: ${esc(c.reason ?? '')}</li>`)
        .join('')}</ul>`
}
<footer class="muted"><p>nfdoctor ${esc(toolVersion)} · ${esc(model.source.kind)} source</p></footer>`;
  return page(`nfdoctor: ${model.source.label}`, body);
}
