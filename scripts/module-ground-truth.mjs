#!/usr/bin/env node
// Module resolution against reality: for every (probe rule, backend) the lab measured on a real Debian 6.1
// kernel (lab/scenarios/module-probes.sh -> fixtures/lab-captures/module-probes/check.log), the modules
// nfdoctor predicts from the kernel's metadata against the modules /proc/modules gained. Prints the
// agreement per backend and every disagreement.
//   node scripts/module-ground-truth.mjs [--all]
import { tsImport } from 'tsx/esm/api';

const { compareProbes, loadGroundTruth } = await tsImport('../src/testing/module-probes.ts', import.meta.url);
const { probes, capture } = loadGroundTruth();
const rows = await compareProbes(probes, capture);
const all = process.argv.includes('--all');
for (const backend of ['nft', 'legacy']) {
  const mine = rows.filter((r) => r.measured.backend === backend);
  const equal = mine.filter((r) => r.equal).length;
  console.log(
    `${backend}: ${equal}/${mine.length} (${((100 * equal) / Math.max(1, mine.length)).toFixed(1)}%) predicted exactly`,
  );
}
for (const r of rows.filter((x) => all || !x.equal)) {
  const rule = r.probe.rule === '' ? `(table ${r.probe.table} only)` : r.probe.rule;
  console.log(
    `${r.equal ? 'ok  ' : 'DIFF'} ${r.probe.id} ${r.measured.backend.padEnd(6)} rc=${r.measured.rc} ${r.probe.family} -t ${r.probe.table} ${rule}`,
  );
  if (!r.equal || all) {
    console.log(`       measured: ${r.measured.loaded.join(' ') || '-'}`);
    console.log(`       missing:  ${r.missing.join(' ') || '-'}   extra: ${r.extra.join(' ') || '-'}`);
  }
}
