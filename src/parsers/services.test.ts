import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { lazyServices, parseServices } from './services.ts';

/** /etc/services of Debian bookworm (netbase 6.4), as shipped. */
const NETBASE = readFileSync(
  join(import.meta.dirname, '__samples__/services/debian-bookworm-netbase-6.4'),
  'utf8',
);

describe('parseServices on Debian netbase 6.4', () => {
  const services = parseServices(NETBASE).value;
  it('keeps the protocol of each entry, and aliases', () => {
    expect(services.get('ssh')).toEqual(new Map([['tcp', 22]]));
    expect(services.get('domain')).toEqual(
      new Map([
        ['tcp', 53],
        ['udp', 53],
      ]),
    );
    expect(services.get('iax')).toEqual(new Map([['udp', 4569]]));
    expect(services.get('www')?.get('tcp')).toBe(80);
  });
  it('never throws', () => {
    fc.assert(fc.property(fc.string(), (text) => parseServices(text).value instanceof Map));
  });
});

describe('lazyServices', () => {
  it('answers every lookup as parseServices does', () => {
    const services = lazyServices(NETBASE);
    const eager = parseServices(NETBASE).value;
    for (const name of ['ssh', 'domain', 'iax', 'www', 'no-such-service', 'ssh', '']) {
      expect(services.get(name)).toEqual(eager.get(name));
    }
  });
});
