import { describe, it, expect } from 'vitest';
import { memoryReader } from '../testing/memory-reader.ts';
import { bootRunlevel, isOpenRcScript, loadOpenRc } from './openrc.ts';
import { buildHostModel } from './host-model.ts';
import { ALPINE_LINKS, alpineFiles, openRcSample } from '../testing/openrc-host.ts';

const INITD = openRcSample('alpine-iptables.initd');
const RULES = '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';

describe('OpenRC iptables services, from the real Alpine and Gentoo files', () => {
  it('tells an OpenRC script from a SysV one', () => {
    expect(isOpenRcScript(INITD)).toBe(true);
    expect(isOpenRcScript('#!/sbin/runscript\n')).toBe(true);
    expect(isOpenRcScript('#!/bin/sh\n### BEGIN INIT INFO\n')).toBe(false);
  });

  it("reads each family's file from its conf.d, and whether a stop saves over it", async () => {
    const openrc = await loadOpenRc(
      memoryReader({
        files: alpineFiles(),
        links: { ...ALPINE_LINKS, '/etc/runlevels/default/iptables': '/etc/init.d/iptables' },
      }),
    );
    expect(openrc.loaders.map((l) => [l.service, l.family, l.savePath, l.saveSource])).toEqual([
      ['iptables', 'ipv4', '/etc/iptables/rules-save', { file: '/etc/conf.d/iptables', line: 5 }],
      ['ip6tables', 'ipv6', '/var/lib/ip6tables/rules-save', { file: '/etc/conf.d/ip6tables', line: 5 }],
    ]);
    expect(openrc.loaders[0]?.saveOnStop).toEqual({ file: '/etc/conf.d/iptables', line: 11 });
    expect(bootRunlevel(openrc, 'iptables')).toBe('default');
    expect(bootRunlevel(openrc, 'ip6tables')).toBe('none');
  });

  it("falls back to the packaged default that exists (Gentoo's /var/lib path without a conf.d)", async () => {
    const openrc = await loadOpenRc(
      memoryReader({
        files: { '/etc/init.d/iptables': INITD, '/var/lib/iptables/rules-save': RULES },
      }),
    );
    expect(openrc.loaders.map((l) => [l.savePath, l.saveSource])).toEqual([
      ['/var/lib/iptables/rules-save', 'default'],
    ]);
    // No runlevel directory at all: nothing is linked (OpenRC hosts always have them; absent is empty).
    expect(bootRunlevel(openrc, 'iptables')).toBe('none');
  });

  it("reads Gentoo's conf.d path", async () => {
    const openrc = await loadOpenRc(
      memoryReader({
        files: {
          '/etc/init.d/iptables': INITD,
          '/etc/conf.d/iptables': openRcSample('gentoo-iptables.confd'),
        },
      }),
    );
    expect(openrc.loaders[0]?.savePath).toBe('/var/lib/iptables/rules-save');
  });

  it('is empty on a host whose /etc/init.d/iptables is a SysV script', async () => {
    const openrc = await loadOpenRc(
      memoryReader({ files: { '/etc/init.d/iptables': '#!/bin/sh\n### BEGIN INIT INFO\n' } }),
    );
    expect(openrc.loaders).toEqual([]);
  });

  it("makes the saved file a saved ruleset of the host model, restored by 'openrc-iptables'", async () => {
    const model = await buildHostModel(
      memoryReader({ files: alpineFiles({ '/etc/iptables/rules-save': RULES }) }),
    );
    expect(model.savedRules.map((r) => [r.path, r.family, r.loader])).toEqual([
      ['/etc/iptables/rules-save', 'ipv4', 'openrc-iptables'],
    ]);
  });
});
