// One root per cause, the whole cause: on real-shaped broken hosts built from the lab captures
// (src/checks/story-variants.ts), every consequence hangs under its cause, each root cites the file and line
// or unit behind it, and roots are ranked by severity, then by how much they explain.
import { describe, it, expect } from 'vitest';
import { buildHostModel } from '../model/host-model.ts';
import { orderRootCausesFirst, runChecks, type DiagnosisResult } from './engine.ts';
import { CHECKS } from './index.ts';
import { labAvailable } from '../testing/lab-host.ts';
import type { Finding } from './types.ts';
import {
  disabledLoaderHost,
  modulesDisabledHost,
  otherBackendHost,
  treeMissingHost,
} from './story-variants.ts';
import type { HostReader } from '../sources/host-reader.ts';

async function diagnose(reader: HostReader): Promise<DiagnosisResult> {
  return runChecks(CHECKS, await buildHostModel(reader));
}

function roots(r: DiagnosisResult): Finding[] {
  const ids = new Set(r.findings.map((f) => f.id));
  return r.findings.filter((f) => !f.causedBy.some((c) => ids.has(c)));
}

/** Every finding reaches `root` through causedBy. */
function under(r: DiagnosisResult, root: string): boolean {
  const byId = new Map(r.findings.map((f) => [f.id, f]));
  return r.findings.every((f) => {
    const seen = new Set<string>();
    const walk = (x: Finding): boolean =>
      x.id.startsWith(root) ||
      x.causedBy.some((c) => {
        const p = byId.get(c);
        if (p === undefined || seen.has(c)) {
          return false;
        }
        seen.add(c);
        return walk(p);
      });
    return walk(f);
  });
}

describe.skipIf(!labAvailable)('one root per cause on real-shaped hosts', () => {
  it('no module tree: the module the rules need and the failed restore hang under kmod/no-modules-dir', async () => {
    const r = await diagnose(treeMissingHost());
    expect(roots(r).map((f) => f.checkId)).toEqual(['kmod/no-modules-dir']);
    expect(under(r, 'kmod/no-modules-dir#')).toBe(true);
    expect(r.findings.some((f) => f.id === 'kmod/module-unavailable#xt_recent:file-missing')).toBe(true);
  });

  it('kernel.modules_disabled=1: one root citing the sysctl.d line, every module and the restore under it', async () => {
    const r = await diagnose(modulesDisabledHost());
    expect(roots(r).map((f) => f.id)).toEqual(['kmod/module-unavailable#modules-disabled']);
    expect(roots(r)[0]?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/sysctl.d/60-hardening.conf', line: 3 }),
    );
    expect(under(r, 'kmod/module-unavailable#modules-disabled')).toBe(true);
  });

  it('a disabled loader is the root and the empty ruleset hangs under it (symptom never first)', async () => {
    const r = await diagnose(disabledLoaderHost());
    expect(roots(r).map((f) => f.id)).toEqual(['loader/not-enabled#netfilter-persistent.service:disabled']);
    const empty = r.findings.find((f) => f.checkId === 'loader/silent-failure');
    expect(empty?.causedBy).toContain('loader/not-enabled#netfilter-persistent.service:disabled');
    expect(r.findings[0]?.checkId).toBe('loader/not-enabled');
  });

  it('rules a unit loads into the other backend that drop saved-accepted traffic: an error naming the unit and the traffic', async () => {
    const r = await diagnose(otherBackendHost());
    const f = r.findings.find((x) => x.id === 'userspace/backend-mismatch#both:legacy');
    expect(f?.severity).toBe('error');
    expect(f?.messageId).toBe('blocksSaved');
    expect(f?.data['writer']).toBe('web-lockdown.service (/etc/systemd/system/web-lockdown.service:8)');
    expect(f?.data['traffic']).toBe('tcp port 80 (INPUT); tcp port 443 (INPUT)');
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({
        source: '/etc/iptables/rules.v4',
        line: 10,
        note: 'the saved rules accept it',
      }),
    );
    expect(f?.subjects).toContain('unit:web-lockdown.service');
  });
});

describe('roots are ranked by severity, then by what they explain', () => {
  const finding = (id: string, severity: Finding['severity'], causedBy: string[] = []): Finding => ({
    id,
    checkId: id.split('#')[0] ?? id,
    key: id.split('#')[1] ?? '',
    messageId: 'm',
    message: id,
    data: {},
    evidence: [{ source: 'x' }],
    severity,
    causedBy,
    subjects: [],
  });
  it('puts the error root with more consequences first, whatever the check order', () => {
    const out = orderRootCausesFirst([
      finding('a#small', 'error'),
      finding('a#small-child', 'error', ['a#small']),
      finding('b#warn', 'warning'),
      finding('c#big', 'error'),
      finding('c#big-1', 'error', ['c#big']),
      finding('c#big-2', 'error', ['c#big-1']),
    ]);
    expect(out.map((f) => f.id)).toEqual([
      'c#big',
      'c#big-1',
      'c#big-2',
      'a#small',
      'a#small-child',
      'b#warn',
    ]);
  });
});
