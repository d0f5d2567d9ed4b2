import { describe, it, expect } from 'vitest';
import { parseIptablesSaveFamily } from '../parsers/iptables-save.ts';
import { RuleValidator, RULE_REJECTED } from './rule-validator.ts';
import { kernelVersionOf, RULE_REJECTED_BEFORE_KERNEL, versionRejections } from './kernel-release.ts';

function validate(rule: string) {
  const parsed = parseIptablesSaveFamily(`*filter\n${rule}\nCOMMIT\n`, 'rules.v4', 'ipv4');
  const validator = new RuleValidator({ family: 'ipv4', file: 'rules.v4' });
  for (const t of parsed.value.tables) {
    for (const r of t.rules) {
      validator.rule(r);
    }
    validator.closeTable(t);
  }
  return { errors: validator.finish(), byVersion: validator.versionDependentRules() };
}

describe('kernelVersionOf', () => {
  it('reads major.minor from a release as uname -r and /lib/modules name it', () => {
    expect(kernelVersionOf('6.1.0-56-cloud-amd64')).toEqual([6, 1]);
    expect(kernelVersionOf('6.18.44-fc-v1147')).toEqual([6, 18]);
    expect(kernelVersionOf('4.18.0-553.el8_10.x86_64')).toEqual([4, 18]);
    expect(kernelVersionOf('6.11')).toEqual([6, 11]);
    expect(kernelVersionOf('prod-kernel')).toBeUndefined();
    expect(kernelVersionOf('6.1x')).toEqual([6, 1]);
    expect(kernelVersionOf('61')).toBeUndefined();
  });
});

describe('recent --hitcount against the kernel that inserts the rule (xt_recent.c XT_RECENT_MAX_NSTAMPS)', () => {
  it('leaves 256-65535 to the release: Debian 12 (6.1) refuses, 6.11 and later load (measured on 6.18)', () => {
    const { errors, byVersion } = validate(
      '-A INPUT -m recent --rcheck --seconds 60 --hitcount 300 --name SSH -j DROP',
    );
    expect(errors).toEqual([]);
    expect(byVersion).toEqual([
      expect.objectContaining({
        line: 2,
        fixedIn: [6, 11],
        message: expect.stringContaining('hitcount (300) is larger than allowed maximum (255)'),
      }),
    ]);
    const [onDebian12] = versionRejections('rules.v4', byVersion, '6.1.0-56-cloud-amd64');
    expect(onDebian12).toMatchObject({
      severity: 'error',
      code: RULE_REJECTED,
      at: { file: 'rules.v4', line: 2 },
    });
    expect(onDebian12?.message).toMatch(/\(kernel 6\.1\.0-56-cloud-amd64; Linux 6\.11 and later load it\)$/);
    expect(versionRejections('rules.v4', byVersion, '6.11.0-1-amd64')).toEqual([]);
    expect(versionRejections('rules.v4', byVersion, '7.0.1')).toEqual([]);
    const [unknown] = versionRejections('rules.v4', byVersion, 'prod');
    expect(unknown).toMatchObject({ severity: 'warning', code: RULE_REJECTED_BEFORE_KERNEL });
    expect(unknown?.message).toMatch(/on kernels before Linux 6\.11 .*give --kernel-release/);
  });

  it('refuses 65536 and more on every kernel, and leaves 255 and below alone', () => {
    const refused = validate('-A INPUT -m recent --rcheck --hitcount 65536 --name x -j DROP');
    expect(refused.errors.map((d) => d.message)).toEqual([
      expect.stringMatching(
        /^recent match: hitcount \(65536\) is larger than allowed maximum \(65535\): the kernel refuses the rule \(/,
      ),
    ]);
    expect(refused.errors[0]?.message.match(/the kernel refuses the rule/g)).toHaveLength(1);
    expect(refused.byVersion).toEqual([]);
    const fine = validate('-A INPUT -m recent --rcheck --hitcount 255 --name x -j DROP');
    expect([...fine.errors, ...fine.byVersion]).toEqual([]);
  });
});
