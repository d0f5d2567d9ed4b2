// What the comparisons with the real iptables-restore check against: Debian's 6.1 cloud kernel metadata
// (fixtures/kernels) for the modules, and this host's own names and kernel release, since the real restore
// runs here too: the release decides what only some kernel versions refuse (recent --hitcount 256-65535).
import { release } from 'node:os';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { LiveReader } from '../sources/fs-readers.ts';
import { kernelFiles } from './kernel-fixture.ts';
import { memoryReader } from './memory-reader.ts';

export const RELEASE = '6.1.0-56-cloud-amd64';

/**
 * `targetRelease`: the release whose version decides (default: this host's, where the real restore runs;
 * iptables' own .t files, written before Linux 6.11, take Debian's 6.1).
 */
export function comparisonKernel(label = 'netns comparison', targetRelease = release()) {
  return {
    kernelReader: memoryReader({ files: kernelFiles(RELEASE) }),
    layout: { ...hostKernelLayout(RELEASE, 'snapshot', label), release: targetRelease },
    userspaceReader: new LiveReader(),
    accountsReader: new LiveReader(),
  };
}
