// Building blocks of the HTML reports: one self-contained page (inline CSS, inline SVG, a small inline script,
// no network), readable on a phone, printable, with filters that degrade to "show everything" without
// JavaScript. Every string from a host goes through esc(): snapshots are untrusted input. The page's
// Content-Security-Policy allows no source but its own inline script (by hash) and inline styles, so even
// markup that slipped through could load or run nothing.
import type { Severity } from '../checks/types.ts';
import type { Evidence } from '../findings/evidence.ts';
import type { Fix } from '../checks/types.ts';
import { fixLines } from './fix-steps.ts';
import { crypto } from '../lazy-builtins.ts';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for element content and quoted attribute values. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const CSS = `
:root{--bad:#b3261e;--warn:#8a5a00;--info:#35618f;--ok:#1b6e2d;--fg:#1d1d1f;--dim:#5f6368;--bg:#fff;--card:#f6f7f9;--line:#d9dce1}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.35rem;margin:.2rem 0 .6rem}
h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
h3{font-size:1rem;margin:0 0 .4rem;overflow-wrap:anywhere}
.verdict{padding:12px 14px;border-radius:8px;color:#fff;font-weight:600}
.verdict.error{background:var(--bad)}.verdict.warning{background:var(--warn)}.verdict.ok{background:var(--ok)}.verdict.info{background:var(--info)}
.facts{color:var(--dim);margin:.5rem 0;padding-left:1.1rem}
.card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--info);border-radius:8px;padding:12px 14px;margin:12px 0}
.card.error{border-left-color:var(--bad)}.card.warning{border-left-color:var(--warn)}
.sev{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;padding:1px 6px;border-radius:4px;color:#fff;background:var(--info)}
.sev.error{background:var(--bad)}.sev.warning{background:var(--warn)}
.check{color:var(--dim);font-size:.85rem}
dl{margin:.4rem 0}dt{font-weight:600;margin-top:.5rem}dd{margin:0 0 0 .2rem}
ul{margin:.2rem 0;padding-left:1.2rem}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0}
code{overflow-wrap:anywhere}
a{color:#0b57d0}
.hosts{display:flex;flex-wrap:wrap;gap:4px 8px;list-style:none;padding:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
#filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:8px 10px;border:1px solid var(--line);border-radius:8px;margin:12px 0}
#filters label{white-space:nowrap}
svg.chart{width:100%;max-width:760px;height:auto;display:block}figure{margin:12px 0}
svg.chart text{font:12px system-ui,sans-serif;fill:var(--fg)}
.muted{color:var(--dim)}
@media (max-width:600px){body{font-size:14px}main{padding:10px}th:nth-child(3),td:nth-child(3){display:none}}
@media print{#filters{display:none!important}.card[hidden]{display:block!important}.card{break-inside:avoid;border-left-width:3px}a{color:inherit;text-decoration:none}main{max-width:none}}
`;

// Shows the filter form and hides what it filters out. Without JavaScript the form stays hidden and every
// finding is shown.
const SCRIPT = `(function(){var f=document.getElementById('filters');if(!f)return;f.hidden=false;
function apply(){var on={};f.querySelectorAll('input[name=severity]').forEach(function(i){on[i.value]=i.checked});
var c=f.querySelector('select[name=check]').value;
document.querySelectorAll('[data-severity]').forEach(function(e){e.hidden=!(on[e.getAttribute('data-severity')]&&(c===''||e.getAttribute('data-check')===c))});}
f.addEventListener('change',apply);apply();})();`;

/** The CSP hash of SCRIPT, computed when a page is made (not at every start of the program). */
const scriptHash = (): string => crypto().createHash('sha256').update(SCRIPT).digest('base64');

export function page(title: string, body: string): string {
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash()}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="nfdoctor">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** Severity checkboxes and a check selector over every element with data-severity / data-check. */
export function filters(checks: readonly string[]): string {
  const sev = (['error', 'warning', 'info'] as const)
    .map((s) => `<label><input type="checkbox" name="severity" value="${s}" checked> ${s}</label>`)
    .join('\n');
  const options = [...new Set(checks)]
    .sort()
    .map((c) => `<option value="${esc(c)}">${esc(c)}</option>`)
    .join('');
  return `<form id="filters" hidden aria-label="Filters">
<strong>Show</strong>
${sev}
<label>check <select name="check"><option value="">all checks</option>${options}</select></label>
</form>`;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly href: string;
  readonly severity: Severity;
}

const COLOURS: Readonly<Record<Severity, string>> = { error: '#b3261e', warning: '#8a5a00', info: '#35618f' };

/** A horizontal bar chart in inline SVG: per row a label line and a linked bar with the count at its end. Labels
 * sit above their bars so the chart stays readable when a phone scales it down. */
export function barChart(title: string, bars: readonly Bar[]): string {
  if (bars.length === 0) {
    return '';
  }
  const row = 40;
  const width = 600;
  const barMax = 540;
  const max = Math.max(...bars.map((b) => b.value));
  const rows = bars
    .map((b, i) => {
      const y = i * row;
      const w = Math.max(2, Math.round((b.value / max) * barMax));
      const label = b.label.length > 90 ? `${b.label.slice(0, 89)}…` : b.label;
      return `<a href="${esc(b.href)}"><title>${esc(b.label)}: ${b.value}</title><text x="0" y="${y + 13}">${esc(label)}</text><rect x="0" y="${y + 18}" width="${w}" height="16" rx="3" fill="${COLOURS[b.severity]}"></rect><text x="${w + 6}" y="${y + 31}">${b.value}</text></a>`;
    })
    .join('\n');
  return `<figure><svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${bars.length * row + 4}" xmlns="http://www.w3.org/2000/svg">
${rows}
</svg><figcaption class="muted">${esc(title)}</figcaption></figure>`;
}

export function evidenceList(evidence: readonly Evidence[]): string {
  return `<ul class="evidence">${evidence
    .map((e) => {
      const where = e.line === undefined ? e.source : `${e.source}:${e.line}`;
      const text = e.text === undefined ? '' : `: <code>${esc(e.text)}</code>`;
      const note = e.note === undefined ? '' : ` <span class="muted">(${esc(e.note)})</span>`;
      return `<li><code>${esc(where)}</code>${text}${note}</li>`;
    })
    .join('')}</ul>`;
}

export function fixBlock(fix: Fix | undefined, next: string | undefined): string {
  const parts: string[] = [];
  if (fix !== undefined) {
    const steps = fixLines(fix)
      .map((s) => `<li><pre>${esc(s.command)}</pre><span class="muted">${esc(s.why)}</span></li>`)
      .join('');
    parts.push(
      `<dt>Fix</dt><dd><ol>${steps}</ol></dd>`,
      `<dt>How it persists</dt><dd>${esc(fix.persistence)}</dd>`,
      `<dt>Verify</dt><dd><code>${esc(fix.verify)}</code></dd>`,
    );
  }
  if (next !== undefined) {
    parts.push(`<dt>Next</dt><dd>${esc(next)}</dd>`);
  }
  return parts.join('\n');
}

export function severityBadge(s: Severity): string {
  return `<span class="sev ${s}">${s}</span>`;
}
