// HTML form of a fleet report: the verdict, hosts by root cause as a bar chart, filters, one card per cause
// (hosts, chain, evidence, fix, next), then every host linked to its causes, and the unreadable snapshots.
import type { FleetGroup, FleetReport } from '../fleet/aggregate.ts';
import { fleetHeadline } from './fleet-text.ts';
import { barChart, esc, evidenceList, filters, fixBlock, page, severityBadge } from './html.ts';

function groupCard(g: FleetGroup, hostAnchor: ReadonlyMap<string, string>): string {
  const c = g.cause;
  const hosts = g.hosts.map((h) => `<li><a href="#${hostAnchor.get(h) ?? ''}">${esc(h)}</a></li>`).join('');
  const chain = c.chain
    .map(
      (l) =>
        `<li>${severityBadge(l.severity)} ${esc(l.message)} <span class="check">${esc(l.checkId)}</span></li>`,
    )
    .join('');
  return `<section class="card ${g.severity}" id="${g.id}" data-severity="${g.severity}" data-check="${esc(c.checkId)}">
<h3>${severityBadge(g.severity)} ${g.hosts.length} host${g.hosts.length === 1 ? '' : 's'}: ${esc(c.message)}</h3>
<div class="check">${esc(c.checkId)} · ${g.id}</div>
<dl>
${c.cause === undefined ? '' : `<dt>Cause</dt><dd><code>${esc(c.cause)}</code></dd>`}
<dt>Hosts</dt><dd><ul class="hosts">${hosts}</ul></dd>
${chain === '' ? '' : `<dt>Which causes</dt><dd><ul>${chain}</ul></dd>`}
<dt>Evidence <span class="muted">(on ${esc(g.hosts[0] ?? '')})</span></dt><dd>${evidenceList(c.evidence)}</dd>
${fixBlock(c.fix, c.next)}
</dl>
</section>`;
}

export function renderFleetHtml(report: FleetReport, toolVersion: string): string {
  const n = report.counts;
  const cls =
    n.problem > 0 || n.unreadable > 0 ? 'error' : n.warnings > 0 || n.incomplete > 0 ? 'warning' : 'ok';
  const hostAnchor = new Map(report.hosts.map((h, i) => [h.host, `h${i + 1}`]));
  const bars = report.groups.map((g) => ({
    label: `${g.id} ${g.cause.checkId}: ${g.cause.message}`,
    value: g.hosts.length,
    href: `#${g.id}`,
    severity: g.severity,
  }));
  const rows = report.hosts
    .map((h) => {
      const groups = h.groups.map((id) => `<a href="#${id}">${id}</a>`).join(' ');
      const status = h.verdict === 'incomplete' ? `incomplete: ${h.undecided.join('; ')}` : h.verdict;
      return `<tr id="${hostAnchor.get(h.host) ?? ''}"><td>${esc(h.host)}</td><td>${groups || '—'}</td><td>${esc(h.kernelRelease ?? '')}</td><td>${esc(status)}</td></tr>`;
    })
    .join('\n');
  const unreadable = report.unreadable
    .map((u) => `<li><strong>${esc(u.host)}</strong>: ${esc(u.reason)}</li>`)
    .join('');
  const body = `<header>
<h1>nfdoctor fleet</h1>
<div class="verdict ${cls}" id="verdict">${esc(fleetHeadline(report))}</div>
</header>
${barChart('Hosts by root cause', bars)}
${report.groups.length > 0 ? filters(report.groups.map((g) => g.cause.checkId)) : ''}
<h2>Root causes, worst first</h2>
${report.groups.length === 0 ? '<p>No finding on any host.</p>' : report.groups.map((g) => groupCard(g, hostAnchor)).join('\n')}
<h2>Hosts</h2>
<table><thead><tr><th>host</th><th>causes</th><th>kernel</th><th>status</th></tr></thead><tbody>
${rows}
</tbody></table>
${unreadable === '' ? '' : `<h2>Unreadable snapshots</h2><ul id="unreadable">${unreadable}</ul>`}
<footer class="muted"><p>nfdoctor ${esc(toolVersion)} · ${report.total} snapshot(s)</p></footer>`;
  return page('nfdoctor fleet', body);
}
