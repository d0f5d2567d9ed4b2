// /etc/services as getservbyname(3) reads it: services(5). "name port/protocol [aliases...] [# comment]".
import type { Parsed } from './types.ts';

/** Service name or alias -> protocol -> port (a Map, or lazyServices). */
export interface Services {
  get(name: string): ReadonlyMap<string, number> | undefined;
}

/**
 * Services parsed on the first lookup: `check` reads the host's /etc/services for port names, which few
 * rulesets use (parsing Debian's takes ~3 ms of a cold start).
 */
export function lazyServices(text: string): Services {
  let parsed: Services | undefined;
  return {
    get(name) {
      parsed ??= parseServices(text).value;
      return parsed.get(name);
    },
  };
}

export function parseServices(text: string): Parsed<Services> {
  const services = new Map<string, Map<string, number>>();
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const words = (hash === -1 ? raw : raw.slice(0, hash)).trim().split(/\s+/);
    const [name, portProto, ...aliases] = words;
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (name === undefined || name === '' || m == null) {
      continue;
    }
    const port = Number(m[1]);
    const proto = m[2] ?? '';
    for (const n of [name, ...aliases]) {
      let byProto = services.get(n);
      if (byProto === undefined) {
        byProto = new Map();
        services.set(n, byProto);
      }
      // getservbyname returns the first matching line.
      if (!byProto.has(proto)) {
        byProto.set(proto, port);
      }
    }
  }
  return { value: services, diagnostics: [] };
}
