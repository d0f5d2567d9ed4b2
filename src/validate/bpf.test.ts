import { describe, it, expect } from 'vitest';
import { classicBpfError } from './bpf.ts';

// Each program below was loaded with the real iptables-restore 1.8.9 (both backends) in a netns
// (fixtures/rules/single-rules.txt): the refused ones pass --test and fail with "RULE_APPEND failed".
describe('classicBpfError: bpf_check_classic() of net/core/filter.c', () => {
  it('takes a program that only loads, compares and returns (ip proto tcp)', () => {
    expect(classicBpfError('4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0')).toBeUndefined();
    // Stored after a store on every path; a code read as %hu (65542 is 6, ret #k).
    expect(classicBpfError('4,2 0 0 3,21 0 1 6,97 0 0 3,22 0 0 0')).toBeUndefined();
    expect(classicBpfError('1,65542 0 0 0')).toBeUndefined();
    // SKF_AD_OFF + SKF_AD_PROTOCOL and + SKF_AD_VLAN_TPID are ancillary loads the kernel knows.
    expect(classicBpfError('2,32 0 0 4294963200,6 0 0 1')).toBeUndefined();
    expect(classicBpfError('2,32 0 0 4294963260,6 0 0 1')).toBeUndefined();
  });

  it('refuses what the kernel refuses, and says why', () => {
    const cases: [string, RegExp][] = [
      ['4,48 0 0 9,256 0 1 6,6 0 0 1,6 0 0 0', /instruction 1 \(code 256\): no such instruction/],
      ['4,48 0 0 9,21 0 2 6,6 0 0 1,6 0 0 0', /a branch leaves the program/],
      ['4,48 0 0 9,21 0 1 6,6 0 0 1,48 0 0 0', /the last instruction is not a return/],
      ['3,96 0 0 0,6 0 0 1,6 0 0 0', /reads scratch cell 0 before/],
      ['3,2 0 0 16,6 0 0 1,6 0 0 0', /scratch cell 16/],
      ['3,52 0 0 0,6 0 0 1,6 0 0 0', /division by zero/],
      ['3,100 0 0 32,6 0 0 1,6 0 0 0', /a shift by 32 or more/],
      ['3,5 0 0 2,6 0 0 1,6 0 0 0', /the jump leaves the program/],
      ['2,32 0 0 4294963201,6 0 0 1', /an unknown ancillary load/],
      ['5,21 0 2 6,2 0 0 3,5 0 0 0,97 0 0 3,6 0 0 0', /instruction 3 reads scratch cell 3 before/],
    ];
    for (const [program, why] of cases) {
      expect(classicBpfError(program), program).toMatch(why);
    }
  });
});
