// The name databases iptables looks names up in on the host that loads the rules: /etc/protocols
// (protocols(5), getprotobyname), /etc/passwd (passwd(5), getpwnam) and /etc/group (group(5), getgrnam).
// Parsed on the first lookup: few rulesets use these names.

/** The names one database defines. */
export interface NameSet {
  has(name: string): boolean;
  /** The number a name stands for, where the database gives one (protocols). */
  numberOf(name: string): number | undefined;
}

/** protocols(5): "name number aliases... # comment"; every name and alias, with its number (the first line wins). */
export function protocolNames(text: string): Map<string, number> {
  const names = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const words = (hash === -1 ? raw : raw.slice(0, hash)).trim().split(/\s+/);
    const [name, number, ...aliases] = words;
    if (name === undefined || name === '' || number === undefined || !/^\d+$/.test(number)) {
      continue;
    }
    for (const n of [name, ...aliases]) {
      if (!names.has(n)) {
        names.set(n, Number(number));
      }
    }
  }
  return names;
}

/** passwd(5) and group(5): the first ':'-separated field of each entry (NSS "+"/"-" lines skipped). */
export function accountNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const raw of text.split('\n')) {
    const colon = raw.indexOf(':');
    const name = colon === -1 ? '' : raw.slice(0, colon);
    if (name !== '' && !name.startsWith('+') && !name.startsWith('-') && !name.startsWith('#')) {
      names.add(name);
    }
  }
  return names;
}

/** A NameSet parsed from text on its first lookup. */
export function lazyNames(
  text: string,
  parse: (text: string) => ReadonlySet<string> | ReadonlyMap<string, number>,
): NameSet {
  let names: ReadonlySet<string> | ReadonlyMap<string, number> | undefined;
  return {
    has(name) {
      names ??= parse(text);
      return names.has(name);
    },
    numberOf(name) {
      names ??= parse(text);
      const value: unknown = names instanceof Map ? names.get(name) : undefined;
      return typeof value === 'number' ? value : undefined;
    },
  };
}

/** A NameSet of names already read (tests, and callers holding a parsed database). */
export function nameSet(names: ReadonlySet<string> | ReadonlyMap<string, number>): NameSet {
  return lazyNames('', () => names);
}
