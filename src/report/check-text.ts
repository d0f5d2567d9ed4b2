// The terminal form of a `check` result: a verdict line, then one block per extension, failures first.
import type { CheckResult } from '../resolve/check-rules.ts';
import type { RequirementResult } from '../resolve/evaluate.ts';
import type { ModuleStatus } from '../resolve/module-state.ts';
import { formatEvidence } from '../findings/evidence.ts';

export interface Style {
  readonly bad: (s: string) => string;
  readonly good: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

export const PLAIN: Style = { bad: (s) => s, good: (s) => s, warn: (s) => s, dim: (s) => s, bold: (s) => s };

/**
 * An SGR style (ECMA-48 select graphic rendition): `open` text `close`. A `close` inside the text (a nested
 * style ending) becomes `replace`, which restores this style, so the outer style goes on after it.
 */
function sgr(open: string, close: string, replace = open): (s: string) => string {
  return (s) => `${open}${s.split(close).join(replace)}${close}`;
}

/** Colours for a terminal (red, green, yellow; dim and bold share the "normal intensity" close, 22). */
export const ANSI: Style = {
  bad: sgr('\x1b[31m', '\x1b[39m'),
  good: sgr('\x1b[32m', '\x1b[39m'),
  warn: sgr('\x1b[33m', '\x1b[39m'),
  dim: sgr('\x1b[2m', '\x1b[22m', '\x1b[22m\x1b[2m'),
  bold: sgr('\x1b[1m', '\x1b[22m', '\x1b[22m\x1b[1m'),
};

function linesLabel(lines: readonly number[]): string {
  const shown = lines.slice(0, 8).join(', ');
  return lines.length > 8 ? `${shown}, … (${lines.length} rules)` : shown;
}

function moduleLine(m: ModuleStatus, style: Style, indent: string): string[] {
  const via = m.requestedAs === m.name ? m.name : `${m.requestedAs} -> ${m.name}`;
  const mark =
    m.state === 'builtin' || m.state === 'loaded' || m.state === 'loadable' ? style.good : style.bad;
  const config = m.config === undefined ? '' : style.dim(` [${m.config}]`);
  const out = [`${indent}${via}: ${mark(m.state)}${config}${m.reason === undefined ? '' : ` — ${m.reason}`}`];
  for (const e of m.evidence) {
    out.push(`${indent}    ${style.dim(formatEvidence(e))}`);
  }
  return out;
}

function requirementBlock(x: RequirementResult, style: Style): string[] {
  const r = x.requirement;
  const head = `${x.ok ? style.good('ok  ') : style.bad('FAIL')} ${r.kind} ${style.bold(r.extension)} (${r.family}, ${r.tables.join('/')}; ${r.file} line ${linesLabel(r.lines)})`;
  if (x.ok) {
    const by = x.modules.find((m) => m.name === x.satisfiedBy);
    const via =
      by === undefined
        ? ''
        : by.requestedAs === by.name
          ? `${by.name} ${by.state}`
          : `${by.requestedAs} -> ${by.name} ${by.state}`;
    return [`${head}  ${style.dim(via)}`];
  }
  const out = [head];
  if (r.note !== undefined) {
    out.push(`       ${style.dim(r.note)}`);
  }
  for (const m of x.modules) {
    out.push(...moduleLine(m, style, '       '));
  }
  for (const s of x.softDependencies) {
    if (!(s.state === 'builtin' || s.state === 'loaded' || s.state === 'loadable')) {
      out.push(...moduleLine(s, style, `       ${style.warn('soft dependency')} `));
    }
  }
  const u = x.userspace;
  if (u !== undefined) {
    const pkg = u.package === undefined ? '' : ` (package ${u.package})`;
    if (u.present === true && u.registersNothing !== true) {
      out.push(`       userspace: ${u.library} present${pkg}`);
    } else {
      const state =
        u.present === 'unknown'
          ? style.warn('unknown')
          : style.bad(u.present ? 'registers nothing' : 'missing');
      out.push(
        `       userspace: ${u.library} ${state}${pkg}${u.reason === undefined ? '' : ` — ${u.reason}`}`,
      );
    }
  }
  return out;
}

export function renderCheckText(r: CheckResult, style: Style = PLAIN): string {
  const failed = r.results.filter((x) => !x.ok);
  const badSets = r.sets.filter((s) => s.defined === false);
  const files = r.files.map((f) => `${f.path} (${f.family}, ${f.rules} rules)`).join(', ');
  const lines: string[] = [];
  lines.push(
    `${r.ok ? style.good('OK') : style.bad('PROBLEM')}: ${files} against kernel ${r.kernel.release} (${r.kernel.sourceLabel}), ${r.backend.value} backend`,
  );
  lines.push(
    r.ok
      ? `All ${r.results.length} requirements can be provided.`
      : `${failed.length} of ${r.results.length} requirements cannot be provided${badSets.length > 0 ? `, ${badSets.length} ipset(s) undefined` : ''}.`,
  );
  lines.push(style.dim(`backend: ${r.backend.why}`));
  for (const m of r.kernel.missing.filter(
    (m) => m.status !== 'absent' || /modules\.dep|config/.test(m.path),
  )) {
    lines.push(style.dim(`not available: ${m.path} (${m.status}: ${m.reason})`));
  }
  lines.push('');
  const ordered = [...failed, ...r.results.filter((x) => x.ok)];
  for (const x of ordered) {
    lines.push(...requirementBlock(x, style));
  }
  for (const s of r.sets) {
    const where = `${s.file} line ${linesLabel(s.lines)}`;
    if (s.defined === true) {
      lines.push(
        `${style.good('ok  ')} ipset ${style.bold(s.set)} (${s.type ?? '?'}, defined at ${s.definedAt?.file ?? '?'}:${s.definedAt?.line ?? 0}; used at ${where})`,
      );
    } else if (s.defined === false) {
      lines.push(
        `${style.bad('FAIL')} ipset ${style.bold(s.set)} used at ${where} is defined in no ipsets file given: iptables-restore stops with "Set ${s.set} doesn't exist."`,
      );
    } else {
      lines.push(
        `${style.warn('??  ')} ipset ${style.bold(s.set)} used at ${where}: no ipsets file given (--ipsets FILE), its type module was not checked`,
      );
    }
  }
  lines.push(...diagnosticBlock(r, 'error', 'problem(s) reading the input', (s) => s));
  // Loads that depend on the target host (SECMARK without SELinux, -Z on a fresh table) or fail only on the
  // other backend: not a verdict, but what the user has to know before the boot.
  lines.push(...diagnosticBlock(r, 'warning', 'warning(s)', style.warn));
  // What the file does that is not a fault, but changes what loads (a -6 line in an IPv4 file is skipped).
  lines.push(...diagnosticBlock(r, 'info', 'note(s)', (s) => s));
  return `${lines.join('\n')}\n`;
}

const SHOWN_DIAGNOSTICS = 20;

function diagnosticBlock(
  r: CheckResult,
  severity: 'error' | 'warning' | 'info',
  title: string,
  mark: (s: string) => string,
): string[] {
  const chosen = r.diagnostics.filter((d) => d.severity === severity);
  if (chosen.length === 0) {
    return [];
  }
  const out = ['', mark(`${chosen.length} ${title}:`)];
  for (const d of chosen.slice(0, SHOWN_DIAGNOSTICS)) {
    out.push(`  ${d.at.file}${d.at.line === undefined ? '' : `:${d.at.line}`}: ${d.message}`);
  }
  if (chosen.length > SHOWN_DIAGNOSTICS) {
    out.push(`  … and ${chosen.length - SHOWN_DIAGNOSTICS} more (--format json lists them all)`);
  }
  return out;
}
