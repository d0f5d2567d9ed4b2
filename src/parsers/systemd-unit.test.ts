import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUnitFile, splitExecCommand, unitValues } from './systemd-unit.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/systemd/${n}`, import.meta.url)), 'utf8');

describe('parseUnitFile on real Debian units', () => {
  it('netfilter-persistent.service (1.0.20): Wants=, not Requires=', () => {
    const { value, diagnostics } = parseUnitFile(sample('netfilter-persistent.service'), 'u');
    expect(diagnostics).toEqual([]);
    expect(value.sections).toEqual(['Unit', 'Service', 'Install']);
    expect(unitValues(value, 'Unit', 'Wants')).toEqual([
      {
        section: 'Unit',
        key: 'Wants',
        value: 'network-pre.target systemd-modules-load.service local-fs.target',
        line: 4,
        file: 'u',
      },
    ]);
    expect(unitValues(value, 'Unit', 'Requires')).toEqual([]);
    expect(unitValues(value, 'Service', 'ExecStart')[0]?.value).toBe('/usr/sbin/netfilter-persistent start');
  });

  it('systemd-modules-load.service: header comments skipped, repeated Condition keys kept in order', () => {
    const { value, diagnostics } = parseUnitFile(sample('systemd-modules-load.service'), 'u');
    expect(diagnostics).toEqual([]);
    const conds = unitValues(value, 'Unit', 'ConditionDirectoryNotEmpty').map((e) => e.value);
    expect(conds).toEqual([
      '|/lib/modules-load.d',
      '|/usr/lib/modules-load.d',
      '|/usr/local/lib/modules-load.d',
      '|/etc/modules-load.d',
      '|/run/modules-load.d',
    ]);
    expect(unitValues(value, 'Unit', 'ConditionDirectoryNotEmpty')[0]?.line).toBe(17);
  });

  it('drop-ins from iptables-persistent / ipset-persistent and the lab', () => {
    expect(parseUnitFile(sample('netfilter-persistent.service.d_iptables.conf'), 'd').value.entries).toEqual([
      { section: 'Install', key: 'Alias', value: 'iptables.service ip6tables.service', line: 2, file: 'd' },
    ]);
    expect(parseUnitFile(sample('nflab-old-debian-requires.conf'), 'd').value.entries).toMatchObject([
      { section: 'Unit', key: 'Requires', value: 'systemd-modules-load.service' },
    ]);
  });

  it('modprobe@.service ExecStart with "-" prefix and specifier', () => {
    const v = unitValues(parseUnitFile(sample('modprobe@.service'), 'u').value, 'Service', 'ExecStart')[0]
      ?.value;
    expect(splitExecCommand(v ?? '')).toEqual({
      prefixes: '-',
      ignoreFailure: true,
      argv: ['/sbin/modprobe', '-abq', '%i'],
    });
  });
});

describe('parseUnitFile syntax (systemd.syntax(7))', () => {
  it('continuations, comment lines inside them, whole-line comments only, whitespace around =', () => {
    const text = [
      'Key=outside',
      '[Section C]',
      'KeyThree=value 3\\',
      '# this line is ignored',
      '; this line is ignored too',
      '       value 3 continued',
      '  Key = a # not a comment  ',
      'Empty=',
      'NoEquals',
      'Escaped=ends with \\\\',
      '[Broken',
      'Lost=1',
    ].join('\n');
    const { value, diagnostics } = parseUnitFile(text, 'f');
    expect(value.entries).toEqual([
      {
        section: 'Section C',
        key: 'KeyThree',
        value: 'value 3        value 3 continued',
        line: 3,
        endLine: 6,
        file: 'f',
      },
      { section: 'Section C', key: 'Key', value: 'a # not a comment', line: 7, file: 'f' },
      { section: 'Section C', key: 'Empty', value: '', line: 8, file: 'f' },
      { section: 'Section C', key: 'Escaped', value: 'ends with \\\\', line: 10, file: 'f' },
    ]);
    expect(diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['unit-assignment-outside-section', 1],
      ['unit-missing-equals', 9],
      ['unit-bad-section-header', 11],
      ['unit-assignment-outside-section', 12],
    ]);
  });

  it('continuation at EOF is reported and kept', () => {
    const r = parseUnitFile('[Unit]\nAfter=a \\', 'f');
    expect(r.value.entries[0]).toMatchObject({ key: 'After', value: 'a' });
    expect(r.diagnostics[0]?.code).toBe('unit-continuation-at-eof');
  });

  it('splitExecCommand: quotes and escapes', () => {
    expect(splitExecCommand(`+@/bin/sh -c "echo 'a b'; x" 'y z' \\"q`)).toEqual({
      prefixes: '+@',
      ignoreFailure: false,
      argv: ['/bin/sh', '-c', "echo 'a b'; x", 'y z', '"q'],
    });
  });

  it('never throws, lines in range', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('[', ']', '=', '\\', '\n', ' ', '#', ';', 'A', 'b') }),
        (s) => {
          const r = parseUnitFile(s, 'f');
          const n = s.split('\n').length;
          for (const e of r.value.entries) {
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.endLine ?? e.line).toBeLessThanOrEqual(n);
          }
          for (const d of r.diagnostics) {
            expect(d.at.line ?? 1).toBeLessThanOrEqual(n);
          }
        },
      ),
    );
    fc.assert(fc.property(fc.string(), (s) => void splitExecCommand(s)));
  });
});
