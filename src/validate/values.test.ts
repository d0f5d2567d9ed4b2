import { describe, it, expect } from 'vitest';
import { hostError, portOk, resolvedAtLoad } from './values.ts';

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

describe('hostError: a null mask makes iptables ignore the name (xtables.c, "like in any/0"; measured 1.8.9)', () => {
  it('takes any address or name of either family with /0, and parses the mask first', () => {
    expect(hostError('0.0.0.0/0', 'ipv6', true)).toBeUndefined();
    expect(hostError('10.0.0.1/::', 'ipv6', true)).toBeUndefined();
    expect(hostError('2001:db8::1/0', 'ipv4', true)).toBeUndefined();
    expect(hostError('foo/0.0.0.0', 'ipv4', true)).toBeUndefined();
    expect(hostError('foo/0.0.0.0', 'ipv6', true)).toBe("invalid mask `0.0.0.0' specified");
    expect(hostError('10.0.0.1/::', 'ipv4', true)).toBe("invalid mask `::' specified");
    // The mask comes first: iptables says "invalid mask `99' specified", not that the name is unknown.
    expect(hostError('2001:db8::1/99', 'ipv4', true)).toBe("invalid mask `99' specified");
    expect(hostError('10.0.0.0/8', 'ipv6', true)).toBe("host/network `10.0.0.0' not found");
    expect(hostError('10.0.0.1/0:0:0:0:0:0:0:0', 'ipv6', true)).toBeUndefined();
    expect(hostError('10.0.0.1/0::0', 'ipv6', true)).toBeUndefined();
    expect(hostError('10.0.0.1/ffff::', 'ipv6', true)).toBe("host/network `10.0.0.1' not found");
  });

  it('does not warn that a name is resolved at load when the mask is null', () => {
    expect(resolvedAtLoad('admin.example.org/0', 'ipv4')).toBeUndefined();
    expect(resolvedAtLoad('admin.example.org/24', 'ipv4')).toMatch(/^admin\.example\.org: /);
  });
});
