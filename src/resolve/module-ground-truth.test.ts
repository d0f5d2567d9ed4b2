// The modules nfdoctor predicts for each probe rule against what a real Debian 6.1 kernel loaded for it
// (lab/scenarios/module-probes.sh, captured in fixtures/lab-captures/module-probes/check.log), per backend.
// `node scripts/module-ground-truth.mjs` prints the same comparison with every disagreement.
import { describe, it, expect } from 'vitest';
import { compareProbes, loadGroundTruth } from '../testing/module-probes.ts';

describe('module ground truth (real 6.1 kernel)', () => {
  it('predicts the loaded modules exactly for at least 98% of (rule, backend) pairs of each backend', async () => {
    const { probes, capture } = loadGroundTruth();
    const rows = await compareProbes(probes, capture);
    for (const backend of ['nft', 'legacy'] as const) {
      const mine = rows.filter((r) => r.measured.backend === backend);
      expect(mine.length).toBeGreaterThan(120);
      const wrong = mine
        .filter((r) => !r.equal)
        .map(
          (r) => `${r.probe.id} ${r.probe.rule}: missing ${r.missing.join(' ')} extra ${r.extra.join(' ')}`,
        );
      expect(wrong.length / mine.length, wrong.join('\n')).toBeLessThanOrEqual(0.02);
    }
    // The extensions that load more than their own module are all in the corpus, and predicted.
    const loadedSomewhere = new Set(rows.flatMap((r) => r.measured.loaded));
    for (const m of [
      'ts_bm',
      'ts_kmp',
      'nf_log_syslog',
      'nfnetlink_log',
      'nf_conntrack_ftp',
      'nf_conntrack_sip',
      'br_netfilter',
      'xt_conntrack',
    ]) {
      expect(loadedSomewhere.has(m), m).toBe(true);
    }
  }, 300_000);

  it('-m state loads xt_conntrack and not xt_state, on both backends', async () => {
    const { probes, capture } = loadGroundTruth();
    const rows = await compareProbes(probes, capture);
    const state = rows.filter((r) => /-m state/.test(r.probe.rule));
    expect(state.length).toBeGreaterThanOrEqual(4);
    for (const r of state) {
      expect(r.measured.loaded.includes('xt_state'), r.probe.id).toBe(false);
      expect(r.predicted).toContain('xt_conntrack');
      expect(r.equal).toBe(true);
    }
  }, 300_000);
});
