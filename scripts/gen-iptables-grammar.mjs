#!/usr/bin/env node
// Generates src/validate/grammar.generated.ts, the option grammar of every iptables 1.8.9 extension, from
// iptables' own sources (the Debian source package, see iptables-source.mjs): each extensions/libxt_*.c,
// libipt_*.c and libip6t_*.c registers matches/targets (struct xtables_match / xtables_target: name,
// real_name, revision, family) with an option table, either the x6 kind (struct xt_option_entry: name, id,
// type XTTYPE_*, flags XTOPT_*, min, max, excl, also; libxtables/xtoptions.c enforces them) or the old
// getopt kind (struct option: name, has_arg; the extension's parse() checks the rest).
//
// usage: node scripts/gen-iptables-grammar.mjs [--check]
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iptablesSourceTree, DEBIAN_VERSION } from './iptables-source.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'src/validate/grammar.generated.ts');

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

/** Text between the brace at `open` and its match. */
function braced(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = text.indexOf('"', i + 1);
      while (text[i - 1] === '\\') i = text.indexOf('"', i + 1);
      continue;
    }
    if (c === "'") {
      i = text.indexOf("'", i + 2);
      continue;
    }
    if (c === '{') depth++;
    if (c === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** Top-level `{...}` groups of an initializer list. */
function groups(body) {
  const out = [];
  let i = 0;
  while ((i = body.indexOf('{', i)) !== -1) {
    const inner = braced(body, i);
    out.push(inner);
    i += inner.length + 2;
  }
  return out;
}

/** Splits `a, b(c, d), e` at top-level commas. */
function splitTop(text) {
  const parts = [];
  let depth = 0;
  let cur = '';
  let str = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') str = !str;
    if (!str && (c === '(' || c === '{')) depth++;
    if (!str && (c === ')' || c === '}')) depth--;
    if (!str && depth === 0 && c === ',') {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') parts.push(cur.trim());
  return parts;
}

function fields(group) {
  const map = new Map();
  for (const part of splitTop(group)) {
    const m = /^\.(\w+)\s*=\s*([\s\S]+)$/.exec(part);
    if (m) map.set(m[1], m[2].trim());
  }
  return map;
}

const KNOWN_CONSTANTS = {
  UINT8_MAX: 255,
  UINT16_MAX: 65535,
  UINT32_MAX: 4294967295,
  UINT_MAX: 4294967295,
  INT_MAX: 2147483647,
  IFNAMSIZ: 16,
  XT_EXTENSION_MAXNAMELEN: 29,
  NFPROTO_UNSPEC: 0,
  PF_UNSPEC: 0,
  NFPROTO_IPV4: 2,
  NFPROTO_ARP: 3,
  NFPROTO_BRIDGE: 7,
  NFPROTO_IPV6: 10,
  // configure.ac AC_CHECK_SIZEOF([struct ip6_hdr]): the fixed IPv6 header, 40 bytes (RFC 8200 section 3).
  SIZEOF_STRUCT_IP6_HDR: 40,
  true: 1,
  false: 0,
};

/** sizeof of the system structs option tables use: struct iphdr (linux/ip.h) is the 20-byte IPv4 header without options. */
const KNOWN_STRUCT_SIZES = { iphdr: 20 };

/**
 * Replaces the sizeof expressions of option bounds with their values: sizeof("literal") (its bytes and the
 * NUL), sizeof(struct NAME) of KNOWN_STRUCT_SIZES, and sizeof(((struct NAME *)NULL)->FIELD) of a char array
 * declared in the headers (kept in `env` as "sizeof NAME.FIELD", see collectCharFields). libxt_TCPMSS.c bounds --set-mss by
 * UINT16_MAX - sizeof(struct iphdr), libxt_LED.c --led-trigger-id by its id field less "netfilter-".
 */
function resolveSizeofs(expr, env) {
  return expr
    .replace(/sizeof\s*\(\s*"([^"\\]*)"\s*\)/g, (_, text) => String(Buffer.byteLength(text) + 1))
    .replace(/sizeof\s*\(\s*struct\s+(\w+)\s*\)/g, (whole, name) =>
      KNOWN_STRUCT_SIZES[name] === undefined ? whole : String(KNOWN_STRUCT_SIZES[name]),
    )
    .replace(
      /sizeof\s*\(\s*\(\s*\(\s*struct\s+(\w+)\s*\*\s*\)\s*NULL\s*\)\s*->\s*(\w+)\s*\)/g,
      (whole, name, field) => {
        const size = env.get(`sizeof ${name}.${field}`);
        return size === undefined ? whole : String(size);
      },
    );
}

/** Evaluates the small constant expressions option tables use: numbers, names, <<, |, +, -, *, (). */
function evaluate(expr, env) {
  const cleaned = expr
    .replace(/\b(0x[0-9a-fA-F]+|\d+)[uUlL]*\b/g, '$1')
    .replace(/\(\s*(unsigned\s+)?(int|long|uint\d+_t)\s*\)/g, '');
  if (!/^[\w\s<>|+\-*()]+$/.test(cleaned)) return undefined;
  let unresolved = false;
  const js = cleaned.replace(/\b[A-Za-z_]\w*\b/g, (name) => {
    const v = env.get(name) ?? KNOWN_CONSTANTS[name];
    if (v === undefined) unresolved = true;
    return String(v ?? 0);
  });
  if (unresolved) return undefined;
  try {
    // Only digits and operators remain here.
    const v = Function(`"use strict"; return (${js});`)();
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Numeric #defines of the headers iptables builds its extensions against (include/linux/...). */
function headerDefines(tree) {
  const env = new Map();
  const dirs = ['include/linux/netfilter', 'include/linux/netfilter_ipv4', 'include/linux/netfilter_ipv6'];
  for (const dir of dirs) {
    const full = join(tree, dir);
    if (!existsSync(full)) continue;
    for (const f of readdirSync(full).sort()) {
      if (f.endsWith('.h')) {
        const text = stripComments(readFileSync(join(full, f), 'utf8'));
        collectConstants(text, env);
        collectCharFields(text, env);
      }
    }
  }
  return env;
}

/** The char array fields of the headers' structs, as "sizeof NAME.FIELD" -> N (no identifier has a space). */
function collectCharFields(text, env) {
  for (const m of text.matchAll(/\bstruct\s+(\w+)\s*\{([^}]*)\}/g)) {
    for (const field of m[2].matchAll(/\bchar\s+(\w+)\s*\[\s*(\w+)\s*\]\s*;/g)) {
      const size = evaluate(field[2], env);
      if (size !== undefined) env.set(`sizeof ${m[1]}.${field[1]}`, size);
    }
  }
}

function collectConstants(text, env) {
  for (const m of text.matchAll(/^#define\s+(\w+)\s+([^\n]+)$/gm)) {
    const v = evaluate(m[2].trim(), env);
    if (v !== undefined) env.set(m[1], v);
  }
  for (const m of text.matchAll(/\benum\s*\w*\s*\{([^}]*)\}/g)) {
    let next = 0;
    for (const item of splitTop(m[1])) {
      const [name, value] = item.split('=').map((s) => s.trim());
      if (name === undefined || !/^\w+$/.test(name)) continue;
      const v = value === undefined ? next : evaluate(value, env);
      if (v === undefined) break;
      env.set(name, v);
      next = v + 1;
    }
  }
}

const TYPES = new Set([
  'NONE',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'UINT8RC',
  'UINT16RC',
  'UINT32RC',
  'UINT64RC',
  'DOUBLE',
  'STRING',
  'TOSMASK',
  'MARKMASK32',
  'SYSLOGLEVEL',
  'HOST',
  'HOSTMASK',
  'PROTOCOL',
  'PORT',
  'PORTRC',
  'PLEN',
  'PLENMASK',
  'ETHERMAC',
]);
const FLAG_BITS = { XTOPT_INVERT: 1, XTOPT_MAND: 2, XTOPT_MULTI: 4 };

function x6Options(body, env) {
  const entries = [];
  for (const group of groups(body)) {
    const f = fields(group);
    const name = f.get('name');
    if (name === undefined || name === 'NULL') continue;
    const type = /XTTYPE_(\w+)/.exec(f.get('type') ?? 'XTTYPE_NONE')?.[1] ?? 'NONE';
    let flags = 0;
    for (const flag of (f.get('flags') ?? '').split('|').map((s) => s.trim())) flags |= FLAG_BITS[flag] ?? 0;
    const entry = {
      name: JSON.parse(name),
      id: evaluate(f.get('id') ?? '0', env) ?? -1,
      type: TYPES.has(type) ? type : 'STRING',
      flags,
    };
    for (const key of ['min', 'max', 'excl', 'also']) {
      if (f.has(key)) {
        const v = evaluate(resolveSizeofs(f.get(key), env), env);
        if (v !== undefined) entry[key] = v;
        else if (key === 'min' || key === 'max') entry[`${key}Unknown`] = true;
      }
    }
    entries.push(entry);
  }
  return entries;
}

function oldOptions(body) {
  const entries = [];
  for (const group of groups(body)) {
    const f = fields(group);
    let name = f.get('name');
    let hasArg = f.get('has_arg');
    if (name === undefined) {
      const parts = splitTop(group);
      [name, hasArg] = parts;
    }
    if (name === undefined || !name.startsWith('"')) continue;
    const arg = /required|true|^1$/.test(hasArg ?? '') ? 1 : /optional|^2$/.test(hasArg ?? '') ? 2 : 0;
    entries.push({ name: JSON.parse(name), arg });
  }
  return entries;
}

const FAMILIES = { 0: 'any', 2: 'ipv4', 10: 'ipv6' };

const STRINGS = String.raw`((?:"(?:[^"\\]|\\.)*"\s*)+)`;
const NEEDS_ONE = new RegExp(
  String.raw`if\s*\(\s*(?:cb->xflags\s*==\s*0|!\s*cb->xflags|!\s*\(\s*cb->xflags\s*&\s*([^;{]*?)\)|\(\s*cb->xflags\s*&\s*([^;{]*?)\)\s*==\s*0)\s*\)\s*` +
    String.raw`(?:xtables_error|xt_params->exit_err)\s*\(\s*PARAMETER_PROBLEM\s*,\s*` +
    STRINGS,
  'g',
);

/**
 * The unconditional "at least one of these options" tests of an x6_fcheck function: an
 * if (cb->xflags == 0) / if (!(cb->xflags & (F_A | F_B))) at the top level of its body that calls
 * xtables_error(PARAMETER_PROBLEM, "..."). mask -1 means any option.
 */
function fcheckRequires(text, fn, env) {
  const head = new RegExp(String.raw`\b${fn}\s*\(\s*struct\s+xt_fcheck_call\s*\*\s*\w+\s*\)\s*\{`).exec(text);
  if (head === null) return [];
  const body = braced(text, head.index + head[0].length - 1);
  const out = [];
  for (const m of body.matchAll(NEEDS_ONE)) {
    const before = body.slice(0, m.index);
    const depth = (before.match(/\{/g) ?? []).length - (before.match(/\}/g) ?? []).length;
    if (depth !== 0) continue;
    const expr = m[1] ?? m[2];
    const mask = expr === undefined ? -1 : evaluate(expr.replace(/^\(|\)$/g, ''), env);
    if (mask === undefined) continue;
    const message = [...m[3].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => JSON.parse(`"${x[1]}"`)).join('');
    out.push({ mask, message: message.trimEnd() });
  }
  return out;
}

function parseFile(tree, file, headerEnv) {
  const text = stripComments(readFileSync(join(tree, 'extensions', file), 'utf8'));
  const env = new Map(headerEnv);
  collectConstants(text, env);
  const x6 = new Map();
  for (const m of text.matchAll(/struct\s+xt_option_entry\s+(\w+)\s*\[\s*\]\s*=\s*\{/g)) {
    x6.set(m[1], x6Options(braced(text, m.index + m[0].length - 1), env));
  }
  const old = new Map();
  for (const m of text.matchAll(/struct\s+option\s+(\w+)\s*\[\s*\]\s*=\s*\{/g)) {
    old.set(m[1], oldOptions(braced(text, m.index + m[0].length - 1)));
  }
  // `.name = MODULENAME` with `#define MODULENAME "NETMAP"` (libipt_NETMAP.c, libip6t_NETMAP.c).
  const stringConstants = new Map(
    [...text.matchAll(/^#define\s+(\w+)\s+("[^"\n]*")\s*$/gm)].map((d) => [d[1], d[2]]),
  );
  const registrations = [];
  for (const m of text.matchAll(/struct\s+xtables_(match|target)\s+(\w+)(\s*\[\s*\])?\s*=\s*\{/g)) {
    const body = braced(text, m.index + m[0].length - 1);
    for (const group of m[3] === undefined ? [body] : groups(body)) {
      const f = fields(group);
      const family = evaluate(f.get('family') ?? '0', env) ?? 0;
      if (FAMILIES[family] === undefined) continue; // arp, bridge
      const written = f.get('name');
      const name = stringConstants.get(written) ?? written;
      if (name === undefined || !name.startsWith('"')) continue;
      const reg = {
        lib: file.replace(/\.c$/, ''),
        kind: m[1],
        name: JSON.parse(name),
        revision: evaluate(f.get('revision') ?? '0', env) ?? 0,
        family: FAMILIES[family],
      };
      if (f.has('real_name')) reg.realName = JSON.parse(f.get('real_name'));
      const x6Name = f.get('x6_options');
      const oldName = f.get('extra_opts');
      if (x6Name !== undefined && x6.has(x6Name)) reg.options = x6.get(x6Name);
      else if (oldName !== undefined && old.has(oldName)) reg.getopt = old.get(oldName);
      else reg.options = [];
      reg.customParse = f.has('parse') || f.has('x6_parse');
      reg.finalCheck = f.has('x6_fcheck') || f.has('final_check');
      const required = f.has('x6_fcheck') ? fcheckRequires(text, f.get('x6_fcheck'), env) : [];
      if (required.length > 0) reg.requires = required;
      registrations.push(reg);
    }
  }
  return registrations;
}

export function generate(tree) {
  const headerEnv = headerDefines(tree);
  const files = readdirSync(join(tree, 'extensions'))
    .filter((f) => /^lib(xt|ipt|ip6t)_\w+\.c$/.test(f))
    .sort();
  const registrations = files.flatMap((f) => parseFile(tree, f, headerEnv));
  return (
    `// generated by scripts/gen-iptables-grammar.mjs from the Debian source package iptables ${DEBIAN_VERSION} ` +
    `(extensions/lib{xt,ipt,ip6t}_*.c): do not edit\n` +
    `import type { ExtensionGrammar } from './grammar.ts';\n\n` +
    `export const EXTENSION_GRAMMAR: readonly ExtensionGrammar[] = ${JSON.stringify(registrations)};\n`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generate(iptablesSourceTree());
  if (process.argv.includes('--check')) {
    if (!existsSync(OUT) || readFileSync(OUT, 'utf8') !== text) {
      console.error(`${OUT} is stale: run node scripts/gen-iptables-grammar.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
    console.error(`wrote ${OUT}`);
  }
}
