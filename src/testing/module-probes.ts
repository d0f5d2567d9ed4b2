// Ground truth for module resolution: lab/scenarios/module-probes.sh inserted each probe rule of
// lab/scenarios/module-probes.tsv into a fresh network namespace of a real Debian 6.1 VM, per backend, and
// recorded the modules /proc/modules gained. This predicts the same set from the kernel's metadata
// (checkRules + modulesLoadedFor) and compares.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRules } from '../resolve/check-rules.ts';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { modulesLoadedFor } from '../resolve/loaded-set.ts';
import type { Backend, Family } from '../knowledge/extensions.ts';
import { memoryReader } from './memory-reader.ts';
import { kernelFiles } from './kernel-fixture.ts';

const REPO = join(import.meta.dirname, '../..');
export const PROBES_FILE = join(REPO, 'lab/scenarios/module-probes.tsv');
export const CAPTURE_FILE = join(REPO, 'fixtures/lab-captures/module-probes/check.log');
/** The lab VM runs the bookworm cloud kernel; its netfilter modules are those of this metadata. */
export const PROBE_KERNEL = '6.1.0-56-cloud-amd64';

export interface Probe {
  readonly id: string;
  readonly source: string;
  readonly family: Family;
  readonly table: string;
  readonly chain: string;
  readonly pre: string;
  readonly rule: string;
}

export interface Measured {
  readonly id: string;
  readonly backend: Backend;
  readonly rc: number;
  readonly loaded: readonly string[];
  /** Modules loaded before this probe that could not be unloaded (they hide what the probe loads). */
  readonly hidden: ReadonlySet<string>;
  readonly error: string;
}

export interface Comparison {
  readonly probe: Probe;
  readonly measured: Measured;
  readonly predicted: readonly string[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly equal: boolean;
}

export function readProbes(text: string): Probe[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [id = '', source = '', family = '', , table = '', chain = '', pre = '-', rule = '-'] =
        l.split('\t');
      return {
        id,
        source,
        family: family === 'ipv6' ? 'ipv6' : 'ipv4',
        table,
        chain,
        pre: pre === '-' ? '' : pre,
        rule: rule === '-' ? '' : rule,
      };
    });
}

export function readCapture(text: string): Measured[] {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const baseline = new Set((lines.find((l) => l[0] === 'BASELINE')?.[1] ?? '').split(',').filter(Boolean));
  const hidden = new Set(baseline);
  const out: Measured[] = [];
  for (const [kind, id = '', backend = '', rc = '', loaded = '', left = '', error = ''] of lines) {
    if (kind !== 'PROBE') {
      continue;
    }
    out.push({
      id,
      backend: backend === 'legacy' ? 'legacy' : 'nft',
      rc: Number(rc),
      loaded: loaded.split(',').filter(Boolean).sort(),
      hidden: new Set(hidden),
      error,
    });
    for (const m of left.split(',').filter(Boolean)) {
      hidden.add(m);
    }
  }
  return out;
}

/** The restore file and ipsets the scenario built for `probe` (see module-probes.sh). */
export function probeInput(probe: Probe): { rules: string; ipsets: string } {
  const parts: string[] = [];
  if (probe.pre === 'helper:ftp') {
    parts.push(
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      '-A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
      'COMMIT',
    );
  }
  parts.push(`*${probe.table}`, `:${probe.chain} ACCEPT [0:0]`);
  if (probe.rule !== '') {
    parts.push(`-A ${probe.chain} ${probe.rule}`);
  }
  parts.push('COMMIT', '');
  const set = /^ipset:([^:]+):(.*)$/.exec(probe.pre);
  return { rules: parts.join('\n'), ipsets: set == null ? '' : `create ${set[1]} ${set[2]}\n` };
}

let kernel: ReturnType<typeof kernelFiles> | undefined;

export async function predict(probe: Probe, backend: Backend): Promise<string[]> {
  const input = probeInput(probe);
  kernel ??= kernelFiles(PROBE_KERNEL);
  const result = await checkRules({
    rules: [{ path: `${probe.id}.rules`, text: input.rules, family: probe.family }],
    ipsets: input.ipsets === '' ? [] : [{ path: `${probe.id}.ipsets`, text: input.ipsets }],
    kernelReader: memoryReader({ files: kernel }),
    layout: hostKernelLayout(PROBE_KERNEL, 'snapshot', 'module probes'),
    backend: { value: backend, why: 'probe' },
  });
  return [...modulesLoadedFor(result.kernel, result.results)].sort();
}

export async function compareProbes(probesText: string, captureText: string): Promise<Comparison[]> {
  const probes = new Map(readProbes(probesText).map((p) => [p.id, p]));
  const out: Comparison[] = [];
  for (const measured of readCapture(captureText)) {
    const probe = probes.get(measured.id);
    if (probe === undefined) {
      continue;
    }
    const predicted = (await predict(probe, measured.backend)).filter((m) => !measured.hidden.has(m));
    const missing = measured.loaded.filter((m) => !predicted.includes(m));
    const extra = predicted.filter((m) => !measured.loaded.includes(m));
    out.push({
      probe,
      measured,
      predicted,
      missing,
      extra,
      equal: missing.length === 0 && extra.length === 0,
    });
  }
  return out;
}

export function loadGroundTruth(): { probes: string; capture: string } {
  return { probes: readFileSync(PROBES_FILE, 'utf8'), capture: readFileSync(CAPTURE_FILE, 'utf8') };
}
