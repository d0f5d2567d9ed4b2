import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpsetSave } from './ipset-save.ts';

const SAMPLES = join(import.meta.dirname, '__samples__', 'ipset');

describe('parseIpsetSave', () => {
  it('reads create lines with type, family and options, and counts add lines per set', () => {
    const text = [
      'create blocklist hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x2db8f4a5',
      'add blocklist 198.51.100.7',
      'add blocklist 192.0.2.66',
      'create ports bitmap:port range 1024-65535',
      'create v6 hash:ip family inet6 hashsize 1024 maxelem 65536 timeout 0 counters comment',
      'add v6 2001:db8::1 timeout 0 packets 0 bytes 0 comment "abuse report 42"',
      '',
    ].join('\n');
    const { value, diagnostics } = parseIpsetSave(text, 'ipsets');
    expect(diagnostics).toEqual([]);
    expect(value.sets.map((s) => [s.name, s.type, s.family, s.line])).toEqual([
      ['blocklist', 'hash:ip', 'inet', 1],
      ['ports', 'bitmap:port', undefined, 4],
      ['v6', 'hash:ip', 'inet6', 5],
    ]);
    expect(value.sets[2]!.options.map((o) => [o.name, ...o.values])).toEqual([
      ['family', 'inet6'],
      ['hashsize', '1024'],
      ['maxelem', '65536'],
      ['timeout', '0'],
      ['counters'],
      ['comment'],
    ]);
    expect([...value.members]).toEqual([
      ['blocklist', 2],
      ['v6', 1],
    ]);
  });

  it('records flush, destroy, swap, rename, del and COMMIT; accepts aliases and -exist', () => {
    const text = [
      '# comment',
      '-N a hash:net -exist',
      'create a hash:net -exist',
      '-A a 10.0.0.0/8',
      'flush a',
      'create b hash:net',
      'swap a b',
      'rename b c',
      'add c 10.1.0.0/16',
      'del c 10.1.0.0/16',
      'destroy c',
      'COMMIT',
    ].join('\n');
    const { value, diagnostics } = parseIpsetSave(text, 'ipsets');
    expect(diagnostics).toEqual([]);
    expect(value.commands.map((c) => [c.command, c.line, ...c.args])).toEqual([
      ['flush', 5, 'a'],
      ['swap', 7, 'a', 'b'],
      ['rename', 8, 'b', 'c'],
      ['del', 10, 'c', '10.1.0.0/16'],
      ['destroy', 11, 'c'],
      ['commit', 12],
    ]);
  });

  it('diagnoses add to an undefined set, bad types, duplicates and unknown commands', () => {
    const text = [
      'add nosuch 1.2.3.4',
      'create a foo:ip',
      'create b hash:foo',
      'create c haship',
      'create d hash:ip',
      'create d hash:ip',
      'create e hash:ip family inet7',
      'bogus line',
      'create',
      'destroy d',
      'add d 1.2.3.4',
    ].join('\n');
    const { value, diagnostics } = parseIpsetSave(text, 'ipsets');
    expect(diagnostics.map((d) => [d.code, d.severity, d.at.line])).toEqual([
      ['add-to-undefined-set', 'error', 1],
      ['unknown-set-method', 'error', 2],
      ['unknown-set-type', 'warning', 3],
      ['malformed-set-type', 'error', 4],
      ['duplicate-set', 'error', 6],
      ['invalid-family', 'error', 7],
      ['unknown-command', 'error', 8],
      ['missing-argument', 'error', 9],
      ['add-to-undefined-set', 'error', 11],
    ]);
    expect(value.sets.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd', 'd', 'e']);
  });

  it('tolerates CRLF and a BOM', () => {
    const { value, diagnostics } = parseIpsetSave('\uFEFFcreate a hash:ip\r\nadd a 1.2.3.4\r\n', 'ipsets');
    expect(diagnostics).toEqual([]);
    expect(value.members.get('a')).toBe(1);
  });

  it.each(readdirSync(SAMPLES).sort())('real sample %s parses without diagnostics', (name) => {
    const text = readFileSync(join(SAMPLES, name), 'utf8');
    const { value, diagnostics } = parseIpsetSave(text, name);
    expect(diagnostics).toEqual([]);
    expect(value.sets.length).toBe(text.split('\n').filter((l) => l.startsWith('create ')).length);
    const adds = [...value.members.values()].reduce((a, b) => a + b, 0);
    expect(adds).toBe(text.split('\n').filter((l) => l.startsWith('add ')).length);
  });

  it('never throws and keeps diagnostic lines in range', () => {
    const words = fc.constantFrom(
      'create',
      'add',
      'del',
      'destroy',
      'swap',
      'rename',
      'x',
      'hash:ip',
      'list:set',
      'foo:bar',
      'family',
      'inet6',
      '"',
      '#',
      '-exist',
      '\n',
      ' ',
      '\r\n',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(words, { maxLength: 40 }).map((w) => w.join(' ')),
        ),
        (text) => {
          const { value, diagnostics } = parseIpsetSave(text, 'f');
          for (const d of diagnostics) {
            expect(d.at.line).toBeGreaterThanOrEqual(1);
            expect(d.at.line).toBeLessThanOrEqual(value.lineCount);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
