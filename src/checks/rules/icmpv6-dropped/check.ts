// IPv6 rules made from IPv4 ones keep `-p icmp -j ACCEPT`: in IPv6 that is next header 1, which no IPv6 packet
// carries (ICMPv6 is 58, `-p ipv6-icmp`), and ip6tables-restore loads it without a word (measured, 1.8.9). With
// the INPUT policy DROP and no rule for ICMPv6, neighbor discovery (RFC 4861: solicitations and advertisements
// are ICMPv6 types 135/136) is dropped, and conntrack does not track it (nf_conntrack_proto_icmpv6.c: neighbor
// discovery messages are not tracked, so ESTABLISHED,RELATED does not let them in): the host stops answering
// its IPv6 neighbors once the rules load, and IPv6 (SSH over IPv6 included) stops working at the next boot.
import { defineCheck, notApplicable, type FindingInput } from '../../types.ts';
import type { HostModel, SavedRules } from '../../../model/host-model.ts';
import type { Rule } from '../../../parsers/iptables-save.ts';
import { evidenceAt } from '../../../findings/evidence.ts';
import { loaderUnitFor } from '../../host-commands.ts';
import { manual, rawLine, replaceLine, restartLoader } from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';
import { testCommand } from '../../loader/evidence.ts';
import { icmpFamilyOf } from '../../../validate/rule-validator.ts';

const ID = 'rules/icmpv6-dropped';

const WHY_ICMPV6 =
  'ICMPv6 (-p ipv6-icmp) carries ping and neighbor discovery in IPv6; the line accepted ICMP as its IPv4 original did.';

/** The chains whose policy drops what no rule accepts: neighbor discovery comes in and goes out. */
const CHAINS = ['INPUT', 'OUTPUT'] as const;

/** The filter table's policy line of `chain` when it drops (DROP; a REJECT policy does not exist). */
function droppingPolicy(saved: SavedRules, chain: string): { line: number } | undefined {
  const filter = saved.ruleset.tables.find((t) => t.name === 'filter');
  const decl = filter?.chains.find((c) => c.name === chain && c.builtin);
  return decl?.policy === 'DROP' ? { line: decl.line } : undefined;
}

function findingFor(model: HostModel, saved: SavedRules, icmp: Rule, policyLine: number): FindingInput {
  const unit = loaderUnitFor(saved);
  const fixed = icmp.raw.replace(/(^|\s)(-p|--pro\w*)\s+(?:icmp|1)(?=\s|$)/i, '$1$2 ipv6-icmp');
  return {
    messageId: 'icmpOnly',
    key: `${saved.path}:${String(icmp.line)}`,
    data: { file: saved.path, line: icmp.line, chain: icmp.chain, policy: policyLine },
    evidence: [
      evidenceAt(
        saved.path,
        policyLine,
        rawLine(model, saved.path, policyLine),
        `${icmp.chain} drops what no rule accepts`,
      ),
      evidenceAt(
        saved.path,
        icmp.line,
        rawLine(model, saved.path, icmp.line),
        'protocol 1, ICMP for IPv4: no IPv6 packet carries it',
      ),
      evidenceAt(saved.path, undefined, undefined, 'no rule of the filter table names ipv6-icmp (58)'),
    ],
    subjects: [`rules:${saved.path}:${String(icmp.line)}`],
    fix: {
      actions: [
        fixed === icmp.raw
          ? manual(
              `In ${saved.path} line ${String(icmp.line)}, accept -p ipv6-icmp instead of ICMP.`,
              WHY_ICMPV6,
              `sudoedit ${shQuote(saved.path)}`,
            )
          : replaceLine(
              model,
              saved.path,
              icmp.line,
              fixed,
              // review: it lets ICMPv6 in, which is what the line meant, but it changes what the host accepts.
              'review',
              WHY_ICMPV6,
            ),
        restartLoader(model, `Loads ${saved.path} with ICMPv6 accepted.`, unit),
      ],
      persistence: `${unit} loads ${saved.path} at every boot; the corrected line accepts ICMPv6 from then on.`,
      verify: `${testCommand(saved)} && sudo ip6tables -S ${icmp.chain} | grep -- '-p ipv6-icmp'`,
    },
    next: 'Neighbor discovery must pass both ways wherever a policy drops; an ICMPv6 rule limited by type should keep types 133-136 (RFC 4890 lists what a host must not filter).',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title:
      'The saved IPv6 rules let ICMPv6 (neighbor discovery) through where INPUT or OUTPUT drops by default',
    severity: 'warning',
    messages: {
      icmpOnly:
        '{{file}} line {{line}} accepts -p icmp, which in IPv6 matches nothing, and no rule accepts ICMPv6: with the {{chain}} policy DROP (line {{policy}}) neighbor discovery and ping are dropped, so the host loses IPv6 once these rules load',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const v6 = model.savedRules.filter((r) => r.family === 'ipv6');
    if (v6.length === 0) {
      return notApplicable('no saved IPv6 rules on this host');
    }
    for (const saved of v6) {
      // A file of IPv4 rules does not load at all (loader/rules-file-family): it is rewritten, not patched.
      if (ctx.findingsAbout(`rules-family:${saved.path}`).length > 0) {
        continue;
      }
      const filter = saved.ruleset.tables.find((t) => t.name === 'filter');
      if (
        filter === undefined ||
        filter.rules.some(
          (r) => icmpFamilyOf(r.protocol) === 'ipv6' || r.matches.some((m) => m.name === 'icmp6'),
        )
      ) {
        continue;
      }
      for (const chain of CHAINS) {
        const policy = droppingPolicy(saved, chain);
        const icmp = filter.rules.find(
          (r) => r.chain === chain && icmpFamilyOf(r.protocol) === 'ipv4' && r.target?.name === 'ACCEPT',
        );
        if (policy !== undefined && icmp !== undefined) {
          ctx.report(findingFor(model, saved, icmp, policy.line));
        }
      }
    }
    return undefined;
  },
});
