// What a table's rules do to each other once the whole table reaches the kernel: jumps that loop, jump
// paths deeper than nf_tables allows, matches and targets that a user chain inherits the hooks of, and the
// restore commands (-I/-R/-D with a rule number, -D of a rule, -X, -E, -P) that act on what the lines
// before them built. `iptables-restore --test` passes every one of these; the load fails.
//
// Kernel sources (Linux 6.1): net/ipv4/netfilter/ip_tables.c mark_source_chains() walks every jump from each
// hook and refuses a loop (ELOOP) and gives each rule the hooks that reach it (comefrom), which
// xt_check_match()/xt_check_target() compare with the extension's .hooks and pass to its checkentry as
// hook_mask. nf_tables_api.c nft_chain_validate() walks the jumps from each base chain with that base
// chain's hook, so an extension's .hooks apply through jumps, while its checkentry gets hook_mask 0 in a
// non-base chain (nft_compat.c nft_match_set_mtchk_param()); it refuses a loop (ELOOP) and a path of
// NFT_JUMP_STACK_SIZE (16) jumps (EMLINK). Measured with iptables-restore 1.8.9 of both backends in a
// network namespace (fixtures/rules/file-cases.txt).
import type { ChainCommand, Rule } from '../parsers/iptables-save.ts';
import { checkentryError, hookRestrictions, LEGACY_HOOK_CHECKED } from './targets.ts';
import type { Family } from '../knowledge/extensions.ts';

export type FlowBackends = 'both' | 'legacy' | 'nft';

export interface FlowFinding {
  readonly line: number;
  readonly backends: FlowBackends;
  readonly message: string;
  /** A warning when the outcome depends on what the kernel holds before the restore. */
  readonly warning?: true;
}

export interface FlowTable {
  readonly name: string;
  readonly commitLine?: number;
  readonly chains: readonly { readonly name: string; readonly builtin: boolean; readonly line?: number }[];
  readonly commands: readonly ChainCommand[];
}

const HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;
const HOOK_BIT: ReadonlyMap<string, number> = new Map(HOOKS.map((h, i) => [h, 1 << i]));

/** nf_tables.h NFT_JUMP_STACK_SIZE: nft_chain_validate() refuses a chain reached through this many jumps. */
const NFT_MAX_JUMPS = 16;

/**
 * Tables longer than this are not followed: the replay keeps a few numbers per rule line, and a 100k-rule
 * table (a generated kube-proxy ruleset, which has no loops or restore commands) would take 50% longer to
 * check and 45 MB more memory. Files people write and edit by hand are far below it.
 */
export const MAX_FOLLOWED_RULES = 5_000;

const KIND: Readonly<Record<Rule['command'], number>> = { append: 0, insert: 1, replace: 2, delete: 3 };
const NO_TARGET = -1;

const LOAD_FAILS = 'the load fails (iptables-restore --test passes)';

function hookNames(mask: number): string[] {
  return HOOKS.filter((_, i) => (mask & (1 << i)) !== 0);
}

/**
 * xtables_strtoui(s, NULL, &n, 1, INT_MAX) in xshared.c parse_rulenumber(): strtoul with base 0, so hex and
 * octal count; anything else is "Invalid rule number".
 */
export function parseRuleNumber(word: string): number | undefined {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(word);
  if (m?.[1] === undefined) {
    return undefined;
  }
  const n = Number.parseInt(
    m[1],
    m[1].startsWith('0x') || m[1].startsWith('0X') ? 16 : m[1].startsWith('0') ? 8 : 10,
  );
  return n >= 1 && n <= 2147483647 ? n : undefined;
}

interface Edge {
  readonly to: number;
  readonly line: number;
  /** Followed by iptables-legacy: no unconditional verdict comes before it in its chain (isDeadEnd). */
  readonly legacy: boolean;
}

const VERDICTS: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

/**
 * ip_tables.c mark_source_chains() walks a chain rule by rule and turns back at the first rule that is
 * unconditional (no -s/-d/-i/-o/-p/-f, no match) with a verdict: the rules after it are never walked, so
 * iptables-legacy finds no loop and applies no hook through them. nf_tables validates every rule.
 */
export function isDeadEnd(rule: Rule): boolean {
  const target = rule.target;
  return (
    target !== undefined &&
    target.kind === 'standard' &&
    !target.goto &&
    VERDICTS.has(target.name) &&
    (rule.protocol === undefined ||
      (!rule.protocol.negated && ANY_PROTOCOL.has(rule.protocol.value.toLowerCase()))) &&
    rule.matches.length === 0 &&
    rule.generic.every(matchesAnything)
  );
}

/** -p values that parse to protocol 0, which ipt_ip leaves as "any" (xtables_parse_protocol()). */
const ANY_PROTOCOL: ReadonlySet<string> = new Set(['all', '0']);
/** Addresses and masks that leave ipt_ip's src/dst zero: they match every address. */
const ANY_ADDRESS = /^(?:0+(?:\.0+){0,3}|::)\/(?:0+|0+(?:\.0+){3})$/;

/**
 * A generic option that leaves the rule's ipt_ip as an unconditional rule has it: counters, the family, an
 * address of "any" (measured: "-i +" does not, iptables-legacy still walks past it).
 */
function matchesAnything(o: Rule['generic'][number]): boolean {
  if (o.name === '-c' || o.name === '-4' || o.name === '-6') {
    return true;
  }
  return !o.negated && (o.name === '-s' || o.name === '-d') && ANY_ADDRESS.test(o.values[0] ?? '');
}

/** One table's rules and commands, in file order, reduced to what decides how its chains link. */
export class ChainFlow {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  // One entry per rule line, in parallel arrays: a 100k-rule table would otherwise hold 100k objects.
  private readonly lines: number[] = [];
  private readonly chains: number[] = [];
  private readonly targets: number[] = [];
  private readonly kinds: number[] = [];
  private readonly deadEnds: boolean[] = [];
  /** Chains that an unconditional verdict has closed for iptables-legacy's walk, in the order lines come. */
  private readonly closed = new Set<number>();
  private readonly ruleNumbers = new Map<number, string>();
  private simple = true;
  private tooLong = false;
  // Rules of user chains whose target or matches are limited to some hooks.
  private readonly limitedChain: number[] = [];
  private readonly limitedLine: number[] = [];
  private readonly limitedAllowed: number[] = [];
  private readonly limitedWhat: string[] = [];
  private readonly limitedLegacy: boolean[] = [];
  private readonly legacyChecked: Rule[] = [];
  private readonly findings: FlowFinding[] = [];

  constructor(
    private readonly family: Family,
    private readonly builtins: ReadonlySet<string>,
  ) {}

  private id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  rule(rule: Rule): void {
    if (this.tooLong) {
      return;
    }
    if (this.lines.length === MAX_FOLLOWED_RULES) {
      this.tooLong = true;
      return;
    }
    const chain = this.id(rule.chain);
    const target = rule.target;
    this.lines.push(rule.line);
    this.chains.push(chain);
    this.targets.push(target === undefined ? NO_TARGET : this.id(target.name));
    const kind = KIND[rule.command];
    this.kinds.push(kind);
    const deadEnd = isDeadEnd(rule);
    this.deadEnds.push(deadEnd);
    const legacyWalks = !this.closed.has(chain);
    if (deadEnd) {
      this.closed.add(chain);
    }
    if (kind !== 0) {
      this.simple = false;
      if (rule.ruleNumber !== undefined) {
        this.ruleNumbers.set(this.lines.length - 1, rule.ruleNumber);
      }
    }
    if (this.builtins.has(rule.chain)) {
      return;
    }
    for (const limit of hookRestrictions(rule) ?? []) {
      let allowed = 0;
      for (const hook of limit.hooks) {
        allowed |= HOOK_BIT.get(hook) ?? 0;
      }
      this.limitedChain.push(chain);
      this.limitedLine.push(rule.line);
      this.limitedAllowed.push(allowed);
      this.limitedWhat.push(limit.what);
      this.limitedLegacy.push(legacyWalks);
    }
    let hookChecked = target?.kind === 'extension' && LEGACY_HOOK_CHECKED.has(target.name);
    for (let i = 0; i < rule.matches.length && !hookChecked; i++) {
      hookChecked = LEGACY_HOOK_CHECKED.has(rule.matches[i]?.name ?? '');
    }
    if (hookChecked && legacyWalks) {
      this.legacyChecked.push(rule);
    }
  }

  /** Everything found in the table, once its COMMIT is read. */
  close(table: FlowTable): FlowFinding[] {
    if (this.tooLong) {
      return [];
    }
    // The parser declares the chains of -N and -E lines too.
    const userChains = new Set(table.chains.filter((c) => !c.builtin).map((c) => c.name));
    const graph =
      this.simple && table.commands.length === 0
        ? this.appendedGraph(userChains)
        : this.replay(table, userChains);
    if (graph !== undefined) {
      this.analyse(graph, table);
    }
    return this.findings;
  }

  /** Jumps between user chains when every line only appends: chain id -> edges. */
  private appendedGraph(userChains: ReadonlySet<string>): Map<number, Edge[]> {
    const graph = new Map<number, Edge[]>();
    const closed = new Set<number>();
    for (let i = 0; i < this.lines.length; i++) {
      const to = this.targets[i] ?? NO_TARGET;
      const from = this.chains[i] ?? 0;
      if (this.deadEnds[i] === true) {
        closed.add(from);
      }
      if (to === NO_TARGET || !userChains.has(this.names[to] ?? '')) {
        continue;
      }
      const edges = graph.get(from);
      const edge = { to, line: this.lines[i] ?? 0, legacy: !closed.has(from) };
      if (edges === undefined) {
        graph.set(from, [edge]);
      } else {
        edges.push(edge);
      }
    }
    return graph;
  }

  private report(line: number, backends: FlowBackends, message: string, warning = false): void {
    this.findings.push(warning ? { line, backends, message, warning } : { line, backends, message });
  }

  /**
   * Plays the table's lines in order, each chain a list of its rules' targets, and reports the commands
   * that cannot do what they ask. Returns the jumps left at COMMIT, or undefined when a line could not be
   * followed exactly.
   */
  private replay(table: FlowTable, userChains: Set<string>): Map<number, Edge[]> | undefined {
    type Step = { line: number; rule?: number; command?: ChainCommand };
    const steps: Step[] = this.lines.map((line, rule) => ({ line, rule }));
    for (const command of table.commands) {
      steps.push({ line: command.line, command });
    }
    steps.sort((a, b) => a.line - b.line);
    const rules = new Map<number, { target: number; line: number; dead: boolean }[]>();
    const listOf = (chain: number): { target: number; line: number; dead: boolean }[] => {
      let list = rules.get(chain);
      if (list === undefined) {
        list = [];
        rules.set(chain, list);
      }
      return list;
    };
    const gone = new Map<string, string>();
    const renamed = new Map<string, number>();
    let exact = true;
    const referenced = (chain: number): boolean =>
      [...rules.values()].some((list) => list.some((r) => r.target === chain));
    for (const step of steps) {
      if (step.rule !== undefined) {
        exact = this.replayRule(step.rule, listOf, gone, renamed) && exact;
        continue;
      }
      const c = step.command;
      if (c === undefined) {
        continue;
      }
      const name = c.chain;
      switch (c.command) {
        case 'new-chain':
          if (name !== undefined) {
            gone.delete(name);
            listOf(this.id(name));
          }
          break;
        case 'flush':
          if (name === undefined) {
            rules.clear();
          } else {
            rules.set(this.id(name), []);
          }
          break;
        case 'policy': {
          const policy = c.args[0] ?? '';
          if (name === undefined || !this.builtins.has(name)) {
            this.report(
              c.line,
              'both',
              `-P ${name ?? ''}: only a built-in chain of table ${table.name} has a policy: iptables-restore fails with "Bad built-in chain name"`,
            );
          } else if (policy !== 'ACCEPT' && policy !== 'DROP') {
            this.report(
              c.line,
              'both',
              `-P ${name} ${policy}: a policy is ACCEPT or DROP: iptables-restore fails with "Bad policy name"`,
            );
          }
          break;
        }
        case 'delete-chain':
          if (name === undefined) {
            const left = [...userChains].filter((u) => !gone.has(u));
            const used = left.find((u) => referenced(this.id(u)));
            const full = left.find((u) => (rules.get(this.id(u))?.length ?? 0) > 0);
            if (full !== undefined) {
              this.report(
                c.line,
                'both',
                `-X deletes every user chain, but chain ${full} still has rules (flush with -F first): ${LOAD_FAILS}`,
              );
            } else if (used !== undefined) {
              this.report(
                c.line,
                'both',
                `-X deletes every user chain, but chain ${used} is still the target of a rule: ${LOAD_FAILS} ("Too many links")`,
              );
            } else {
              if (left.length > 0) {
                // Measured: iptables-nft-restore 1.8.9 fails a bare -X over the chains of its own batch.
                this.report(
                  c.line,
                  'nft',
                  `-X without a chain name, over user chains this file made (${left.join(', ')}): iptables-nft-restore 1.8.9 fails; name each chain (-X ${left[0] ?? ''})`,
                );
              }
              userChains.forEach((u) => gone.set(u, `deleted by -X at line ${c.line}`));
              userChains.forEach((u) => rules.delete(this.id(u)));
            }
            break;
          }
          if (this.builtins.has(name) || !userChains.has(name) || gone.has(name)) {
            this.report(
              c.line,
              'both',
              `-X ${name}: ${this.builtins.has(name) ? 'a built-in chain cannot be deleted' : `no user chain ${name} exists here${gone.has(name) ? ` (${gone.get(name) ?? ''})` : ''}`}: iptables-restore fails ("No chain/target/match by that name")`,
            );
          } else if ((rules.get(this.id(name))?.length ?? 0) > 0) {
            this.report(
              c.line,
              'both',
              `-X ${name}: the chain still has rules (flush it with -F ${name} first): ${LOAD_FAILS}`,
            );
          } else if (referenced(this.id(name))) {
            this.report(
              c.line,
              'both',
              `-X ${name}: the chain is still the target of a rule: ${LOAD_FAILS} ("Too many links")`,
            );
          } else {
            gone.set(name, `deleted by -X at line ${c.line}`);
            rules.delete(this.id(name));
          }
          break;
        case 'zero':
          // nft.c nft_chain_zero_counters() looks the chain up in the kernel's tables: a built-in chain that
          // neither the kernel nor an earlier line of this batch made is "No chain/target/match by that name".
          if (
            name !== undefined &&
            this.builtins.has(name) &&
            !rules.has(this.id(name)) &&
            !table.chains.some((d) => d.builtin && d.name === name && (d.line ?? Infinity) < c.line)
          ) {
            this.report(
              c.line,
              'nft',
              `-Z ${name} before any line of this file declares ${name} or adds a rule to it: iptables-nft-restore fails with "No chain/target/match by that name" while table ${table.name} does not exist in the kernel yet, as at boot (a reload finds it); declare ":${name} ACCEPT [0:0]" above it`,
              true,
            );
          }
          break;
        case 'rename-chain': {
          const to = c.args[0];
          if (name === undefined || to === undefined) {
            break;
          }
          if (this.builtins.has(name)) {
            this.report(
              c.line,
              'both',
              `-E ${name}: a built-in chain cannot be renamed: iptables-restore fails ("No chain/target/match by that name")`,
            );
            break;
          }
          const from = this.id(name);
          const next = this.id(to);
          rules.set(next, rules.get(from) ?? []);
          rules.delete(from);
          for (const list of rules.values()) {
            for (const r of list) {
              if (r.target === from) {
                r.target = next;
              }
            }
          }
          gone.set(name, `renamed to ${to} by -E at line ${c.line}`);
          gone.delete(to);
          renamed.set(to, c.line);
          userChains.add(to);
          break;
        }
        default:
          break;
      }
    }
    if (!exact) {
      return undefined;
    }
    const graph = new Map<number, Edge[]>();
    for (const [chain, list] of rules) {
      const firstDead = list.findIndex((r) => r.dead);
      const edges = list
        .map((r, at) => ({ to: r.target, line: r.line, legacy: firstDead === -1 || at < firstDead }))
        .filter(
          (e) =>
            e.to !== NO_TARGET && userChains.has(this.names[e.to] ?? '') && !gone.has(this.names[e.to] ?? ''),
        );
      if (edges.length > 0) {
        graph.set(chain, edges);
      }
    }
    return graph;
  }

  /** One rule line of replay(); false when its effect cannot be known exactly (a -D by rule spec). */
  private replayRule(
    i: number,
    listOf: (chain: number) => { target: number; line: number; dead: boolean }[],
    gone: ReadonlyMap<string, string>,
    renamed: ReadonlyMap<string, number>,
  ): boolean {
    const line = this.lines[i] ?? 0;
    const chain = this.chains[i] ?? 0;
    const target = this.targets[i] ?? NO_TARGET;
    const chainName = this.names[chain] ?? '';
    const targetName = target === NO_TARGET ? undefined : this.names[target];
    for (const name of [chainName, targetName]) {
      if (name === undefined) {
        continue;
      }
      const why = gone.get(name);
      if (why !== undefined) {
        this.report(
          line,
          'both',
          `chain ${name} no longer exists here (${why}): iptables-restore fails ("Chain '${name}' does not exist")`,
        );
        return true;
      }
      const renamedAt = renamed.get(name);
      if (renamedAt !== undefined) {
        this.report(
          line,
          'nft',
          `chain ${name} was made by -E at line ${renamedAt} in this same file: iptables-nft-restore 1.8.9 cannot use it until the file is committed ("Chain '${name}' does not exist" / "No chain/target/match by that name"); iptables-legacy-restore can`,
        );
        return true;
      }
    }
    const list = listOf(chain);
    const kind = this.kinds[i] ?? 0;
    const written = this.ruleNumbers.get(i);
    const n = written === undefined ? undefined : parseRuleNumber(written);
    if (written !== undefined && n === undefined) {
      this.report(
        line,
        'both',
        `rule number "${written}" is not a number from 1: iptables-restore fails with "Invalid rule number \`${written}'"`,
      );
      return true;
    }
    const entry = { target, line, dead: this.deadEnds[i] === true };
    switch (kind) {
      case 0:
        list.push(entry);
        return true;
      case 1: {
        const at = n ?? 1;
        if (at > list.length + 1) {
          this.report(
            line,
            'both',
            `-I ${chainName} ${at}: the chain has ${list.length} rule(s) at this line, so ${list.length + 1} is the highest position: iptables-restore fails with "Index of insertion too big"`,
          );
        } else {
          list.splice(at - 1, 0, entry);
        }
        return true;
      }
      case 2:
        if (n === undefined) {
          return true;
        }
        if (n > list.length) {
          this.report(
            line,
            'both',
            `-R ${chainName} ${n}: the chain has ${list.length} rule(s) at this line: iptables-restore fails ("Index of replacement too big")`,
          );
        } else {
          list[n - 1] = entry;
          // The table was flushed at its *table line: the rule replaced was added by this file, and
          // iptables-nft-restore finds no handle for a rule its own batch has not committed yet.
          this.report(
            line,
            'nft',
            `-R ${chainName} ${n} replaces a rule this same file added: iptables-nft-restore 1.8.9 fails (the rule is not in the kernel until COMMIT); write the rule you want in its place instead`,
          );
        }
        return true;
      default:
        if (n !== undefined) {
          if (n > list.length) {
            this.report(
              line,
              'both',
              `-D ${chainName} ${n}: the chain has ${list.length} rule(s) at this line: iptables-restore fails with "Index of deletion too big"`,
            );
          } else {
            list.splice(n - 1, 1);
          }
          return true;
        }
        return this.deleteBySpec(line, chainName, list, target);
    }
  }

  /**
   * -D with a rule: the table was flushed at its *table line, so only rules above can match. A rule with
   * another target cannot be the one; whether one with the same target matches is not decided here.
   */
  private deleteBySpec(line: number, chainName: string, list: { target: number }[], target: number): boolean {
    const at = list.findIndex((r) => r.target === target);
    if (at === -1) {
      this.report(
        line,
        'both',
        `-D ${chainName}: no rule above this line in chain ${chainName} ${list.length === 0 ? '(it is empty: the restore flushed the table)' : 'has this target'}: iptables-restore fails with "Bad rule (does a matching rule exist in that chain?)"`,
      );
      return true;
    }
    // The rule removed has this target, like every candidate: the jumps left are the same whichever it was.
    list.splice(at, 1);
    return true;
  }

  /** Loops, nf_tables' jump depth and the hooks each user chain inherits, from every built-in chain. */
  private analyse(graph: ReadonlyMap<number, readonly Edge[]>, table: FlowTable): void {
    const legacyGraph = new Map<number, Edge[]>();
    for (const [chain, edges] of graph) {
      const walked = edges.filter((e) => e.legacy);
      if (walked.length > 0) {
        legacyGraph.set(chain, walked);
      }
    }
    const reached = new Map<number, number>();
    const reachedLegacy = new Map<number, number>();
    const commit = table.commitLine === undefined ? '' : ` at line ${table.commitLine}`;
    for (const hook of this.builtins) {
      const root = this.ids.get(hook);
      const edges = root === undefined ? undefined : graph.get(root);
      if (root === undefined || edges === undefined) {
        continue;
      }
      const bit = HOOK_BIT.get(hook) ?? 0;
      const loop = this.walk(root, graph, bit, reached);
      const legacyLoop = this.walk(root, legacyGraph, bit, reachedLegacy);
      if (loop !== undefined) {
        const path = loop.path.map((c) => this.names[c]).join(' -> ');
        this.report(
          loop.line,
          legacyLoop === undefined ? 'nft' : 'both',
          `this jump closes a loop of chains reached from ${hook}: ${path}: the kernel refuses a table whose jumps loop (iptables-nft-restore: "RULE_APPEND failed (Too many links)"; iptables-legacy-restore: "line N failed" at the COMMIT${commit}), although iptables-restore --test passes`,
        );
        return;
      }
    }
    this.checkDepth(graph);
    this.checkHooks(reached, reachedLegacy);
  }

  /** Depth-first from one built-in chain: records the hooks reaching each chain; returns the first loop. */
  private walk(
    root: number,
    graph: ReadonlyMap<number, readonly Edge[]>,
    bit: number,
    reached: Map<number, number>,
  ): { path: number[]; line: number } | undefined {
    const onPath = new Set<number>([root]);
    const done = new Set<number>();
    const stack: { chain: number; next: number }[] = [{ chain: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        break;
      }
      const edges = graph.get(top.chain) ?? [];
      const edge = edges[top.next];
      if (edge === undefined) {
        stack.pop();
        onPath.delete(top.chain);
        done.add(top.chain);
        continue;
      }
      top.next++;
      if (onPath.has(edge.to)) {
        const from = stack.findIndex((s) => s.chain === edge.to);
        return { path: [...stack.slice(from).map((s) => s.chain), edge.to], line: edge.line };
      }
      if (done.has(edge.to)) {
        continue;
      }
      reached.set(edge.to, (reached.get(edge.to) ?? 0) | bit);
      onPath.add(edge.to);
      stack.push({ chain: edge.to, next: 0 });
    }
    return undefined;
  }

  /** The longest jump path from each built-in chain (the graph has no loop here). */
  private checkDepth(graph: ReadonlyMap<number, readonly Edge[]>): void {
    const height = new Map<number, number>();
    const heightOf = (start: number): number => {
      const stack: { chain: number; next: number; best: number }[] = [{ chain: start, next: 0, best: 0 }];
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          break;
        }
        const edge = (graph.get(top.chain) ?? [])[top.next];
        if (edge === undefined) {
          stack.pop();
          height.set(top.chain, top.best);
          const parent = stack[stack.length - 1];
          if (parent !== undefined) {
            parent.best = Math.max(parent.best, top.best + 1);
          }
          continue;
        }
        top.next++;
        const known = height.get(edge.to);
        if (known !== undefined) {
          top.best = Math.max(top.best, known + 1);
        } else {
          stack.push({ chain: edge.to, next: 0, best: 0 });
        }
      }
      return height.get(start) ?? 0;
    };
    for (const hook of this.builtins) {
      const root = this.ids.get(hook);
      if (root === undefined || !graph.has(root)) {
        continue;
      }
      const depth = heightOf(root);
      if (depth >= NFT_MAX_JUMPS) {
        const line = graph.get(root)?.find((e) => (height.get(e.to) ?? 0) + 1 === depth)?.line ?? 0;
        this.report(
          line,
          'nft',
          `from ${hook} this jump leads down a path of ${depth} jumps between chains; nf_tables allows ${NFT_MAX_JUMPS - 1} (NFT_JUMP_STACK_SIZE), so iptables-nft-restore fails at COMMIT ("Too many links"); iptables-legacy has no such limit`,
        );
      }
    }
  }

  /** Hook limits of matches and targets in user chains, against the hooks that reach each chain. */
  private checkHooks(reached: ReadonlyMap<number, number>, reachedLegacy: ReadonlyMap<number, number>): void {
    // iptables stops at the first extension of a rule it refuses: one finding a line.
    const reported = new Set<number>();
    for (let i = 0; i < this.limitedChain.length; i++) {
      const line = this.limitedLine[i] ?? 0;
      if (reported.has(line)) {
        continue;
      }
      const chain = this.limitedChain[i] ?? 0;
      const allowed = this.limitedAllowed[i] ?? 0;
      const nftOutside = (reached.get(chain) ?? 0) & ~allowed;
      const legacyOutside = this.limitedLegacy[i] === true ? (reachedLegacy.get(chain) ?? 0) & ~allowed : 0;
      const outside = nftOutside | legacyOutside;
      if (outside !== 0) {
        reported.add(line);
        this.report(
          line,
          nftOutside === 0 ? 'legacy' : legacyOutside === 0 ? 'nft' : 'both',
          `${this.limitedWhat[i] ?? ''} in chain ${this.names[chain] ?? ''}, which is reached from ${hookNames(outside).join('/')}; only usable from ${hookNames(allowed).join('/')}: the kernel refuses the rule, so ${LOAD_FAILS}`,
        );
      }
    }
    for (const rule of this.legacyChecked) {
      const mask = reachedLegacy.get(this.ids.get(rule.chain) ?? -1) ?? 0;
      for (const hook of hookNames(mask)) {
        const error = checkentryError({ ...rule, chain: hook }, this.family);
        if (error !== undefined) {
          this.report(
            rule.line,
            'legacy',
            `chain ${rule.chain} is reached from ${hook}, and there: ${error} (iptables-legacy checks the hooks a user chain is reached from; nf_tables does not)`,
          );
          break;
        }
      }
    }
  }
}
