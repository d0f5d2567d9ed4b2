// Address literals as inet_pton(3) accepts them (libxt_NAT.c parse_to(), libxtables host parsing).

/** inet_pton(AF_INET): exactly four decimal numbers 0-255 without leading zeros. */
export function isIpv4Literal(s: string): boolean {
  // A loop over the characters: NAT targets of every rule of a big file come through here.
  let parts = 0;
  let i = 0;
  const n = s.length;
  while (i <= n) {
    const start = i;
    let value = 0;
    for (; i < n && s.charCodeAt(i) !== 0x2e; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) {
        return false;
      }
      value = value * 10 + d;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && s.charCodeAt(start) === 0x30)) {
      return false;
    }
    parts++;
    i++; // the dot, or past the end
  }
  return parts === 4;
}

/** inet_pton(AF_INET6): eight groups, or fewer with one "::", optionally ending in an IPv4 literal. */
export function isIpv6Literal(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) {
    return false;
  }
  const groups = (part: string): string[] | undefined => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) {
    return false;
  }
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i] ?? '';
    if (i === all.length - 1 && g.includes('.')) {
      if (!isIpv4Literal(g)) {
        return false;
      }
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

/** The 128 bits of an IPv6 literal, most significant first, or undefined when inet_pton() refuses it. */
export function ipv6Bits(s: string): string | undefined {
  if (!isIpv6Literal(s)) {
    return undefined;
  }
  const groupBits = (g: string): string =>
    g.includes('.')
      ? g
          .split('.')
          .map((b) => Number(b).toString(2).padStart(8, '0'))
          .join('')
      : parseInt(g, 16).toString(2).padStart(16, '0');
  const [head = '', tail] = s.split('::');
  const bits = (part: string): string => (part === '' ? '' : part.split(':').map(groupBits).join(''));
  const front = bits(head);
  const back = tail === undefined ? '' : bits(tail);
  return front + '0'.repeat(128 - front.length - back.length) + back;
}
