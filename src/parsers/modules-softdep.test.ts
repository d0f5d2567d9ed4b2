import { describe, expect, it } from 'vitest';
import { parseModulesSoftdep, parseSoftdepArgs } from './modules-softdep.ts';
import { checkTotal, readKernel } from './__samples__/kmod/test-helpers.ts';

describe('parseModulesSoftdep on real Debian kernels', () => {
  it('6.1.0-56-amd64: netfilter softdeps, cifs lines without pre: are flagged', () => {
    const r = parseModulesSoftdep(readKernel('6.1.0-56-amd64', 'modules.softdep'), 'modules.softdep');
    expect(r.value).toHaveLength(54);
    expect(r.value.filter((s) => s.module.startsWith('xt_')).map((s) => [s.module, s.pre, s.post])).toEqual([
      ['xt_LOG', ['nf_log_syslog'], []],
      ['xt_NFLOG', ['nfnetlink_log'], []],
      ['xt_TRACE', ['nf_log_syslog'], []],
    ]);
    const cifs = r.value.filter((s) => s.module === 'cifs');
    expect(cifs).toHaveLength(11);
    expect(cifs.every((s) => s.pre.length === 0 && s.post.length === 0)).toBe(true);
    expect(r.diagnostics.map((d) => d.code)).toEqual(Array<string>(11).fill('softdep-outside-pre-post'));
    expect(r.value[0]).toMatchObject({ module: 'ext4', pre: ['crypto-crc32c'], line: 2 });
  });

  it('trixie 6.12 cloud parses the same way', () => {
    const r = parseModulesSoftdep(
      readKernel('6.12.117+deb13-cloud-amd64', 'modules.softdep'),
      'modules.softdep',
    );
    expect(r.value.find((s) => s.module === 'xt_LOG')?.pre).toEqual(['nf_log_syslog']);
  });
});

describe('softdep argument semantics (kmod_config_add_softdep)', () => {
  it('pre:/post: switch lists, may repeat, names before them are dropped', () => {
    expect(parseSoftdepArgs('a pre: b c post: d pre: e')).toEqual({
      pre: ['b', 'c', 'e'],
      post: ['d'],
      ignored: ['a'],
    });
    expect(parseSoftdepArgs('post:\tx   y')).toEqual({ pre: [], post: ['x', 'y'], ignored: [] });
    expect(parseSoftdepArgs('pre:b')).toEqual({ pre: [], post: [], ignored: ['pre:b'] });
  });

  it('bad lines', () => {
    const r = parseModulesSoftdep('softdep\nsoftdep x\nblacklist y\nsoftdep nf-x[a-b] pre: q\n', 'f');
    expect(r.value).toEqual([{ module: 'nf_x[a-b]', pre: ['q'], post: [], line: 4 }]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['not-a-softdep-line', 1],
      ['softdep-empty', 2],
      ['not-a-softdep-line', 3],
    ]);
  });

  it('never throws, diagnostics in range', () => {
    checkTotal(parseModulesSoftdep, ['softdep', 'pre:', 'post:', 'mod']);
  });
});
