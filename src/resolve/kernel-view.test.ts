import { describe, it, expect } from 'vitest';
import { gzipSync } from 'node:zlib';
import { loadKernelView, hostKernelLayout } from './kernel-view.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import { MAX_KERNEL_CONFIG_BYTES } from '../parsers/kernel-config.ts';

const RELEASE = '6.1.0-56-cloud-amd64';

describe('loadKernelView: /proc/config.gz', () => {
  it('reads the running kernel config from /proc/config.gz when no config file is installed', async () => {
    const reader = memoryReader({
      files: { '/proc/config.gz': gzipSync('CONFIG_MODULES=y\nCONFIG_NETFILTER_XT_MATCH_RECENT=m\n') },
    });
    const view = await loadKernelView(reader, hostKernelLayout(RELEASE, 'snapshot', 'test'));
    expect(view.config?.file).toBe('/proc/config.gz');
    expect(view.config?.values.get('CONFIG_NETFILTER_XT_MATCH_RECENT')?.value).toBe('m');
  });

  it('reports a /proc/config.gz that inflates beyond any kernel config as unreadable (a gzip bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * MAX_KERNEL_CONFIG_BYTES, 0x41), { level: 9 });
    const reader = memoryReader({ files: { '/proc/config.gz': bomb } });
    const view = await loadKernelView(reader, hostKernelLayout(RELEASE, 'snapshot', 'test'));
    expect(view.config).toBeUndefined();
    expect(view.missing).toContainEqual({
      path: '/proc/config.gz',
      status: 'error',
      reason: 'inflates to more than 16 MiB: not a kernel config',
    });
  });
});
