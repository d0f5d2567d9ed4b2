import { describe, it, expect } from 'vitest';
import { dnsRefusesName, hostError, inetAtonValue, portOk, resolvedAtLoad, strtod } from './values.ts';

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
    // No name at all: with a null mask it is any address (`-d /0` loads, measured), else not found.
    expect(hostError('/0', 'ipv4', true)).toBeUndefined();
    expect(hostError('/0', 'ipv6', true)).toBeUndefined();
    expect(hostError('/8', 'ipv4', true)).toBe("host/network `' not found");
  });

  it('does not warn that a name is resolved at load when the mask is null', () => {
    expect(resolvedAtLoad('admin.example.org/0', 'ipv4')).toBeUndefined();
    expect(resolvedAtLoad('admin.example.org/24', 'ipv4')).toMatch(/^admin\.example\.org: /);
  });
});

describe('dnsRefusesName: what glibc 2.36 refuses without asking DNS (measured with getaddrinfo in a netns)', () => {
  it('refuses a leading "-", characters outside letters, digits, "-" and "_", empty and over-long labels', () => {
    for (const name of [
      '-a',
      '--rsource',
      'a/b',
      'a!b',
      'a b',
      'a*',
      'a..b',
      '.a',
      `${'a'.repeat(64)}.org`,
    ]) {
      expect(dnsRefusesName(name), name).toBe(true);
    }
    expect(dnsRefusesName(`${'a'.repeat(60)}.`.repeat(4) + 'a'.repeat(10))).toBe(true); // 254 characters
  });

  it('leaves to DNS what it would ask about', () => {
    for (const name of [
      'a',
      'a-',
      'x.-y',
      'a_b',
      '_x',
      '1a',
      'a.b.',
      'a\\065',
      `${'a'.repeat(60)}.`.repeat(4) + 'a'.repeat(9),
    ]) {
      expect(dnsRefusesName(name), name).toBe(false);
    }
  });

  it('makes -s/-d say which option took the word when a value looks like an option', () => {
    expect(hostError('-j', 'ipv4', true)).toMatch(
      /^host\/network `-j' not found \(the option before "-j" took it as its value/,
    );
    expect(hostError('gw.example.net', 'ipv4', true)).toBeUndefined();
  });
});

describe('strtod as C reads it (RATEEST times)', () => {
  it('reads a prefix and leaves the rest', () => {
    expect(strtod(' -1.0ms')).toEqual({ value: -1, rest: 'ms' });
    expect(strtod('.5s')).toEqual({ value: 0.5, rest: 's' });
    expect(strtod('0x1.8p3s')).toEqual({ value: 12, rest: 's' });
    expect(strtod('0x')).toEqual({ value: 0, rest: 'x' });
    expect(strtod('1e')).toEqual({ value: 1, rest: 'e' });
    expect(strtod('INF')).toEqual({ value: Infinity, rest: '' });
    expect(strtod('RE1')).toBeUndefined();
    expect(strtod('+.')).toBeUndefined();
  });
});

describe('inetAtonValue: the address inet_aton(3) reads', () => {
  it('reads one to four parts, the last filling the remaining bytes, in any base', () => {
    expect(inetAtonValue('255.255.255.0')).toBe(0xffffff00);
    expect(inetAtonValue('4294967295')).toBe(0xffffffff);
    expect(inetAtonValue('0xffffff00')).toBe(0xffffff00);
    expect(inetAtonValue('255.255.0xff00')).toBe(0xffffff00);
    expect(inetAtonValue('10.1')).toBe(0x0a000001);
    expect(inetAtonValue('010.0.0.1')).toBe(0x08000001);
    expect(inetAtonValue('256.0.0.1')).toBeUndefined();
    expect(inetAtonValue('1.2.3.4.5')).toBeUndefined();
    expect(inetAtonValue('4294967296')).toBeUndefined();
    expect(inetAtonValue('1.')).toBeUndefined();
  });
});
