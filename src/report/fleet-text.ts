// Terminal form of a fleet report: a verdict line, then one block per root cause (worst first) with its hosts,
// what it causes, the evidence on one host and the fix, then healthy, incomplete and unreadable hosts.
import type { FleetGroup, FleetReport } from '../fleet/aggregate.ts';
import { formatEvidence } from '../findings/evidence.ts';
import { PLAIN, type Style } from './check-text.ts';
import { fixLines } from './fix-steps.ts';

/** Host lists longer than this are cut in the terminal; JSON and HTML list every host. */
const MAX_HOSTS_LISTED = 40;

function hostList(hosts: readonly string[]): string {
  const shown = hosts.slice(0, MAX_HOSTS_LISTED).join(', ');
  return hosts.length > MAX_HOSTS_LISTED ? `${shown} ... (+${hosts.length - MAX_HOSTS_LISTED} more)` : shown;
}

function groupBlock(g: FleetGroup, style: Style): string[] {
  const c = g.cause;
  const mark =
    g.severity === 'error' ? style.bad('✗') : g.severity === 'warning' ? style.warn('!') : style.dim('i');
  const count = `${g.hosts.length} host${g.hosts.length === 1 ? '' : 's'}`;
  const out = [`${mark} ${style.bold(`[${g.id}] ${count}:`)} ${c.message} ${style.dim(`[${c.checkId}]`)}`];
  const pad = '    ';
  if (c.cause !== undefined) {
    out.push(`${pad}${style.dim('cause:')} ${c.cause}`);
  }
  out.push(`${pad}${style.dim('hosts:')} ${hostList(g.hosts)}`);
  for (const link of c.chain) {
    out.push(`${pad}${style.dim('└─ which causes:')} ${link.message} ${style.dim(`[${link.checkId}]`)}`);
  }
  out.push(`${pad}${style.dim(`evidence (${g.hosts[0] ?? ''}):`)}`);
  for (const e of c.evidence) {
    out.push(`${pad}  ${formatEvidence(e)}`);
  }
  if (c.fix !== undefined) {
    out.push(`${pad}${style.dim(`fix (as on ${g.hosts[0] ?? ''}):`)}`);
    for (const s of fixLines(c.fix)) {
      out.push(`${pad}  ${style.good(s.command)}`, `${pad}    ${style.dim(`why: ${s.why}`)}`);
    }
    out.push(
      `${pad}${style.dim('persists:')} ${c.fix.persistence}`,
      `${pad}${style.dim('verify:')} ${c.fix.verify}`,
    );
  }
  if (c.next !== undefined) {
    out.push(`${pad}${style.dim('next:')} ${c.next}`);
  }
  return out;
}

export function fleetHeadline(report: FleetReport): string {
  const n = report.counts;
  const parts = [
    `${n.problem} with problems`,
    `${n.warnings} with warnings only`,
    `${n.ok} healthy`,
    ...(n.incomplete > 0 ? [`${n.incomplete} with no finding but checks that could not decide`] : []),
    ...(n.unreadable > 0 ? [`${n.unreadable} unreadable`] : []),
  ];
  return `${report.total} host${report.total === 1 ? '' : 's'}: ${parts.join(', ')}; ${report.groups.length} distinct root cause${report.groups.length === 1 ? '' : 's'}`;
}

export function renderFleetText(report: FleetReport, style: Style = PLAIN): string {
  const n = report.counts;
  const head =
    n.problem > 0
      ? style.bad('FLEET PROBLEM')
      : n.unreadable > 0
        ? style.bad('FLEET UNREADABLE HOSTS')
        : n.warnings > 0
          ? style.warn('FLEET WARNINGS')
          : n.incomplete > 0
            ? style.warn('FLEET INCOMPLETE')
            : style.good('FLEET OK');
  const lines = [`${head}: ${fleetHeadline(report)}. Worst first.`, ''];
  for (const g of report.groups) {
    lines.push(...groupBlock(g, style), '');
  }
  const healthy = report.hosts.filter((h) => h.verdict === 'ok').map((h) => h.host);
  if (healthy.length > 0) {
    lines.push(`${style.good('healthy:')} ${hostList(healthy)}`);
  }
  for (const h of report.hosts.filter((x) => x.verdict === 'incomplete')) {
    lines.push(`${style.warn('?')} ${h.host}: no finding, but ${h.undecided.join('; ')}`);
  }
  for (const u of report.unreadable) {
    lines.push(`${style.bad('unreadable:')} ${u.host}: ${u.reason}`);
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
