import { describe, it, expect } from 'vitest';
import { portOk, resolvedAtLoad } from './values.ts';

describe('portOk without the host /etc/services', () => {
  it('takes any name as a possible service, but never a number out of range (no services(5) name is all digits)', () => {
    expect(portOk('ssh', 'tcp', undefined)).toBe(true);
    expect(portOk('65535', 'tcp', undefined)).toBe(true);
    expect(portOk('99999', 'tcp', undefined)).toBe(false);
    expect(portOk('65536', undefined, undefined)).toBe(false);
  });
});

describe('resolvedAtLoad', () => {
  it('names what getaddrinfo resolves when the rules load, in any item of a list', () => {
    expect(resolvedAtLoad('10.0.0.0/8,gw.example.net', 'ipv4')).toMatch(/^gw\.example\.net: /);
    expect(resolvedAtLoad('fe80::1%ens3/64', 'ipv6')).toMatch(/unless interface ens3 exists then/);
    expect(resolvedAtLoad('10.0.0.1,localhost', 'ipv4')).toBeUndefined();
    expect(resolvedAtLoad('2001:db8::1/64', 'ipv6')).toBeUndefined();
  });
});
