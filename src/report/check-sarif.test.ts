// SARIF output against the official SARIF 2.1.0 schema (sarif-2.1.0-rtm.5.json as shipped in the npm package
// @microsoft/jest-sarif; JSON Schema draft-04, hence ajv-draft-04), on a real Debian kernel's metadata.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Log } from 'sarif';
import type { Ajv, Options } from 'ajv';
import { runCheck } from '../cli/commands/check.ts';
import { checkRules } from '../resolve/check-rules.ts';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { checkResultToSarif } from './check-sarif.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import { FIXTURE_KERNELS, kernelFiles } from '../testing/kernel-fixture.ts';

const require = createRequire(import.meta.url);
// ajv-draft-04 is CommonJS whose module.exports is the class itself.
const Ajv04 = require('ajv-draft-04') as new (opts: Options) => Ajv;
const schemaPath = join(
  require.resolve('@microsoft/jest-sarif/package.json'),
  '../lib/schemas/sarif-2.1.0-rtm.5.json',
);
// The schema's language pattern has a stray "]" that only the non-unicode RegExp syntax accepts.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
ajv.addFormat('uri', (s: string) => URL.canParse(s));
ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///'));
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

const SAMPLES = join(import.meta.dirname, '../parsers/__samples__');
const KERNEL = join(FIXTURE_KERNELS, '6.1.0-56-amd64');
const RELEASE = '6.1.0-56-cloud-amd64';

async function check(args: readonly string[]) {
  return runCheck(args, '9.9.9', false);
}

describe('check --format sarif', () => {
  it('is valid SARIF 2.1.0 with one result per finding, at its file and line', async () => {
    const reader = memoryReader({
      files: {
        ...kernelFiles(RELEASE),
        '/etc/modprobe.d/no-recent.conf': 'install xt_recent /bin/false\n',
      },
    });
    const rules = [
      '*filter',
      ':INPUT DROP [0:0]',
      '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      '-A INPUT -p tcp --dport 22 -m recent --set --name ssh',
      '-A INPUT -m geoip --src-cc XX -j DROP',
      '-A INPUT -m set --match-set nosuch src -j DROP',
      '-A INPUT -p tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name ssh -j DROP',
      'COMMIT',
      '',
    ].join('\n');
    const result = await checkRules({
      rules: [{ path: 'etc/iptables/rules.v4', text: rules }],
      ipsets: [{ path: 'etc/iptables/ipsets', text: 'create other hash:ip\n' }],
      kernelReader: reader,
      layout: hostKernelLayout(RELEASE, 'snapshot', 'test'),
      backend: { value: 'legacy', why: 'test' },
    });
    const log = checkResultToSarif(result, '9.9.9');
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = log.runs[0];
    const results = run?.results ?? [];
    const summary = results.map((r) => [
      r.ruleId,
      r.level,
      r.locations?.[0]?.physicalLocation?.artifactLocation?.uri,
      r.locations?.[0]?.physicalLocation?.region?.startLine,
      (r.relatedLocations ?? []).map((l) => l.physicalLocation?.region?.startLine),
    ]);
    expect(summary).toEqual([
      // xt_recent is blocked by the install line; the rule at line 7 fails the same way (a related location).
      ['module-unavailable', 'error', 'etc/iptables/rules.v4', 4, [7]],
      // xt_geoip is out-of-tree (xtables-addons), not built for this kernel.
      ['module-unavailable', 'error', 'etc/iptables/rules.v4', 5, []],
      ['ipset-undefined', 'error', 'etc/iptables/rules.v4', 6, []],
    ]);
    expect(results[0]?.message.text).toContain('/etc/modprobe.d/no-recent.conf:1');
    // Every result points at its rule descriptor, and every descriptor has help text.
    for (const r of results) {
      const rule = run?.tool.driver.rules?.[r.ruleIndex ?? -1];
      expect(rule?.id).toBe(r.ruleId);
      expect(rule?.help?.text.length).toBeGreaterThan(40);
    }
  });

  it('reports a rule iptables refuses as an error and one only the other backend refuses as a warning', async () => {
    const rules = [
      '*filter',
      '-A INPUT -p tcp --dport 80:70 -j ACCEPT',
      '-A INPUT -j TRACE',
      'COMMIT',
      '',
    ].join('\n');
    const result = await checkRules({
      rules: [{ path: 'etc/iptables/rules.v4', text: rules }],
      ipsets: [],
      kernelReader: memoryReader({ files: kernelFiles(RELEASE) }),
      layout: hostKernelLayout(RELEASE, 'snapshot', 'test'),
      backend: { value: 'nft', why: 'test' },
    });
    const log = checkResultToSarif(result, '9.9.9');
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = log.runs[0];
    const rejections = (run?.results ?? []).filter((r) => r.ruleId?.startsWith('rule-rejected') === true);
    expect(
      rejections.map((r) => [r.ruleId, r.level, r.locations?.[0]?.physicalLocation?.region?.startLine]),
    ).toEqual([
      ['rule-rejected', 'error', 2],
      ['rule-rejected-legacy', 'warning', 3],
    ]);
    expect(rejections[0]?.message.text).toContain('invalid portrange (min > max)');
    const descriptor = run?.tool.driver.rules?.find((r) => r.id === 'rule-rejected-legacy');
    expect(descriptor?.help?.text).toContain('iptables-legacy-restore would refuse it');
  });

  it('is valid and empty for rules the kernel can load', async () => {
    const out = await check([
      join(SAMPLES, 'iptables-save/lab-healthy.rules.v4'),
      '--kernel',
      KERNEL,
      '--format',
      'sarif',
    ]);
    const log = JSON.parse(out.text) as Log;
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(log.runs[0]?.results).toEqual([]);
    expect(out.exitCode).toBe(0);
  });
});

describe('kernel metadata quirks', () => {
  // Debian 6.1's modules.softdep has "softdep cifs gcm" lines without "pre:", which kmod ignores.
  it('stay out of the default report and come back with --verbose', async () => {
    const args = [join(SAMPLES, 'iptables-save/lab-healthy.rules.v4'), '--kernel', KERNEL];
    const quiet = JSON.parse((await check([...args, '--format', 'json'])).text) as {
      diagnostics: { code: string }[];
    };
    const verbose = JSON.parse((await check([...args, '--format', 'json', '--verbose'])).text) as {
      diagnostics: { code: string; file: string }[];
    };
    expect(quiet.diagnostics.filter((d) => d.code === 'softdep-outside-pre-post')).toEqual([]);
    const quirks = verbose.diagnostics.filter((d) => d.code === 'softdep-outside-pre-post');
    expect(quirks.length).toBeGreaterThan(5);
    expect(quirks.every((d) => d.file.endsWith('/modules.softdep'))).toBe(true);
  });
});
