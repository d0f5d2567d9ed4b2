// What extensions load by themselves (text search, loggers, conntrack helpers), resolved through a real
// Debian 6.1 kernel's modules.alias and modules.dep, and failing when modprobe.d blocks them.
import { describe, it, expect } from 'vitest';
import { checkRules } from './check-rules.ts';
import { hostKernelLayout } from './kernel-view.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import { kernelFiles } from '../testing/kernel-fixture.ts';
import type { Backend } from '../knowledge/extensions.ts';

const RELEASE = '6.1.0-56-cloud-amd64';

async function check(rules: string, backend: Backend, modprobe = '', family: 'ipv4' | 'ipv6' = 'ipv4') {
  const files: Record<string, string | Buffer> = { ...kernelFiles(RELEASE) };
  if (modprobe !== '') {
    files['/etc/modprobe.d/site.conf'] = modprobe;
  }
  return checkRules({
    rules: [{ path: 'rules', text: rules, family }],
    ipsets: [],
    kernelReader: memoryReader({ files }),
    layout: hostKernelLayout(RELEASE, 'snapshot', 'test'),
    backend: { value: backend, why: 'test' },
  });
}

function table(name: string, chain: string, ...rules: string[]): string {
  return [`*${name}`, `:${chain} ACCEPT [0:0]`, ...rules.map((r) => `-A ${chain} ${r}`), 'COMMIT', ''].join(
    '\n',
  );
}

function extras(result: Awaited<ReturnType<typeof check>>) {
  return result.results
    .filter((r) => ['text-search', 'logger', 'conntrack-helper'].includes(r.requirement.kind))
    .map((r) => [r.requirement.kind, r.requirement.requests.join(','), r.satisfiedBy ?? r.modules[0]?.state]);
}

describe('modules extensions load by themselves', () => {
  it.each<Backend>(['legacy', 'nft'])('%s: string, LOG, NFLOG and CT helpers', async (backend) => {
    const result = await check(
      [
        table(
          'filter',
          'INPUT',
          '-m string --algo kmp --string "GET /" -j DROP',
          '-m string --algo bm --string x',
          '-j LOG --log-prefix "in: "',
          '-j NFLOG --nflog-group 2',
        ),
        table('raw', 'PREROUTING', '-p tcp --dport 21 -j CT --helper ftp', '-p udp -j CT --helper sip'),
      ].join(''),
      backend,
    );
    expect(extras(result)).toEqual([
      ['text-search', 'ts_kmp', 'ts_kmp'],
      ['text-search', 'ts_bm', 'ts_bm'],
      ['logger', 'nf-logger-2-0', 'nf_log_syslog'],
      ['logger', 'nf-logger-2-1', 'nfnetlink_log'],
      ['conntrack-helper', 'nfct-helper-ftp', 'nf_conntrack_ftp'],
      ['conntrack-helper', 'nfct-helper-sip', 'nf_conntrack_sip'],
    ]);
    expect(result.ok).toBe(true);
  });

  it('asks IPv6 loggers for NFPROTO_IPV6 and legacy TRACE for the syslog logger', async () => {
    const result = await check(table('raw', 'PREROUTING', '-j TRACE', '-j LOG'), 'legacy', '', 'ipv6');
    expect(extras(result)).toEqual([['logger', 'nf-logger-10-0', 'nf_log_syslog']]);
    expect(result.results.find((r) => r.requirement.kind === 'logger')?.requirement.lines).toEqual([3, 4]);
  });

  it('fails the rule when modprobe.d blocks what the extension loads', async () => {
    const result = await check(
      table('filter', 'INPUT', '-m string --algo bm --string x', '-j LOG'),
      'legacy',
      'install ts_bm /bin/false\ninstall nf_log_syslog /bin/true\n',
    );
    expect(result.ok).toBe(false);
    const failing = result.results
      .filter((r) => !r.ok)
      .map((r) => [r.requirement.extension, r.modules[0]?.state]);
    expect(failing).toEqual([
      ['ts_bm', 'blocked'],
      ['syslog logger', 'blocked'],
    ]);
  });
});
