// The Prometheus output is checked by Prometheus' own `promtool check metrics` (the expfmt text parser that
// node_exporter's textfile collector uses, plus promtool's naming lint), fetched by scripts/fetch-promtool.sh
// from Debian's prometheus package. Chosen over an npm parser because the npm one accepted unterminated label
// values, duplicate TYPE lines and non-numeric values, which node_exporter would reject.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderPrometheus } from './prometheus.ts';
import { CHECKS } from '../checks/index.ts';
import { familyStates } from '../guard/decision.ts';
import { diagnosedHost } from '../guard/fixture-hosts.ts';

const CACHED = join(import.meta.dirname, '../../.cache/promtool/promtool');
const onPath = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
const PROMTOOL = onPath !== '' ? onPath : existsSync(CACHED) ? CACHED : undefined;

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL ?? 'promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** name{labels} value lines -> map, for asserting values (promtool proves the syntax). */
function samples(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const i = l.lastIndexOf(' ');
        return [l.slice(0, i), l.slice(i + 1)];
      }),
  );
}

const TIME = new Date('2026-12-02T02:00:00Z');

describe('renderPrometheus on real hosts', () => {
  for (const host of ['missing-xt-recent', 'healthy', 'ipset-missing-set']) {
    it(
      host,
      async () => {
        const { model, result } = await diagnosedHost(host);
        const text = renderPrometheus({
          states: familyStates(model, result),
          result,
          checks: CHECKS,
          time: TIME,
          emergency: new Map([
            ['ipv4', host !== 'healthy'],
            ['ipv6', false],
          ]),
        });
        const s = samples(text);
        expect(s.get('nfdoctor_firewall_loaded{family="ipv4"}')).toBe(host === 'healthy' ? '1' : '0');
        expect(s.has('nfdoctor_firewall_loaded{family="ipv6"}')).toBe(false);
        expect(s.get('nfdoctor_firewall_state{family="ipv6",state="not-configured"}')).toBe('1');
        expect(s.get('nfdoctor_last_run_timestamp_seconds')).toBe(String(TIME.getTime() / 1000));
        const errors = result.findings.filter((f) => f.severity === 'error');
        for (const f of errors) {
          expect(Number(s.get(`nfdoctor_findings{check="${f.checkId}",severity="error"}`))).toBeGreaterThan(
            0,
          );
        }
        const total = [...s]
          .filter(([k]) => k.startsWith('nfdoctor_findings{'))
          .reduce((n, [, v]) => n + Number(v), 0);
        expect(total).toBe(result.findings.length);
        if (PROMTOOL !== undefined) {
          const r = promtool(text);
          expect(r.out).toBe('');
          expect(r.status).toBe(0);
        }
      },
      60_000,
    );
  }
});

describe.skipIf(PROMTOOL === undefined)('promtool catches what a broken renderer would write', () => {
  it('rejects an unterminated label value and a duplicate TYPE', () => {
    expect(promtool('nfdoctor_firewall_loaded{family="ipv4} 0\n').status).not.toBe(0);
    expect(promtool('# TYPE a gauge\n# TYPE a gauge\na 1\n').status).not.toBe(0);
  });
  it('accepts label values with quotes, backslashes and newlines as escaped', async () => {
    const { model, result } = await diagnosedHost('healthy');
    const text = renderPrometheus({
      states: familyStates(model, result),
      result: {
        ...result,
        checks: [
          ...result.checks,
          { checkId: 'odd/"quoted"\\path\nx', title: 't', status: 'pass', findings: [] },
        ],
      },
      checks: CHECKS,
      time: TIME,
    });
    expect(text).toContain('check="odd/\\"quoted\\"\\\\path\\nx"');
    expect(promtool(text).status).toBe(0);
  }, 60_000);
});
