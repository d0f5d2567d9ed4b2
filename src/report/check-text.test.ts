import fc from 'fast-check';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ANSI, PLAIN, renderCheckText } from './check-text.ts';
import { checkRules } from '../resolve/check-rules.ts';
import { kernelDirLayout } from '../resolve/kernel-view.ts';
import { RootReader } from '../sources/fs-readers.ts';
import { FIXTURE_KERNELS } from '../testing/kernel-fixture.ts';

const CLOUD = '6.1.0-56-cloud-amd64';

// picocolors (a test reference only): its module reads process.stdout.isTTY when loaded, which builds the
// stdout stream and, on a pipe, loads node:net at every start of the CLI.
const REFERENCE = pc.createColors(true);
const PAIRS = [
  [ANSI.bad, REFERENCE.red],
  [ANSI.good, REFERENCE.green],
  [ANSI.warn, REFERENCE.yellow],
  [ANSI.dim, REFERENCE.dim],
  [ANSI.bold, REFERENCE.bold],
] as const;

describe('ANSI style', () => {
  it('writes the same bytes as picocolors, nested styles included', () => {
    const piece = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('\x1b[39m', '\x1b[22m', '\x1b[2m'));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.nat(PAIRS.length - 1),
        fc.nat(PAIRS.length - 1),
        (ps, i, j) => {
          const [ours, theirs] = PAIRS[i] ?? PAIRS[0];
          const [innerOurs, innerTheirs] = PAIRS[j] ?? PAIRS[0];
          // picocolors looks for nested closes only from the open sequence's length on: start with plain text.
          const text = `text ${ps.join('')}`;
          expect(ours(text)).toBe(theirs(text));
          expect(ours(`a${innerOurs(text)}b`)).toBe(theirs(`a${innerTheirs(text)}b`));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('bold inside dim keeps the dim going after it; PLAIN leaves text alone', () => {
    expect(ANSI.dim(`x ${ANSI.bold('y')} z`)).toBe('\x1b[2mx \x1b[1my\x1b[22m\x1b[2m z\x1b[22m');
    expect(PLAIN.bad('x')).toBe('x');
  });
});

describe('renderCheckText', () => {
  it('lists warnings after the requirements, so a load that depends on the host is not silent', async () => {
    const result = await checkRules({
      rules: [
        {
          path: '/etc/iptables/rules.v4',
          text: '*security\n-A INPUT -j SECMARK --selctx system_u:object_r:http_packet_t:s0\nCOMMIT\n',
        },
      ],
      ipsets: [],
      kernelReader: new RootReader('/'),
      layout: kernelDirLayout(join(FIXTURE_KERNELS, CLOUD), CLOUD),
      backend: { value: 'nft', why: 'test' },
    });
    const text = renderCheckText(result);
    expect(text.split('\n')[0]).toMatch(/^OK: /);
    expect(text).toContain(
      '\n1 warning(s):\n  /etc/iptables/rules.v4:2: SECMARK target: the kernel asks SELinux',
    );
  });
});
