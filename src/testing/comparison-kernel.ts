// What the comparisons with the real iptables-restore check against: Debian's 6.1 cloud kernel metadata
// (fixtures/kernels), and this host's own names, since the real restore runs here too.
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { LiveReader } from '../sources/fs-readers.ts';
import { kernelFiles } from './kernel-fixture.ts';
import { memoryReader } from './memory-reader.ts';

const RELEASE = '6.1.0-56-cloud-amd64';

export function comparisonKernel() {
  return {
    kernelReader: memoryReader({ files: kernelFiles(RELEASE) }),
    layout: hostKernelLayout(RELEASE, 'snapshot', 'netns comparison'),
    userspaceReader: new LiveReader(),
    accountsReader: new LiveReader(),
  };
}
