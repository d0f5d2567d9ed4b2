// The loader runs as root, so file modes do not stop it (CAP_DAC_OVERRIDE); what does is a mandatory access
// control denial: SELinux (a rules file with the wrong label, e.g. moved from /tmp or /root keeps
// user_tmp_t/admin_home_t) or AppArmor (a profile without the path). Separately, nfdoctor itself may not be
// root: a file *it* cannot read is an unknown, never a pass.
//
// Log formats, from real reports:
//   kernel (kmsg) transport: `audit: type=1400 audit(1632734301.322:867): avc:  denied  { ioctl } for  pid=11021
//     comm="iptables" path="/sys/fs/cgroup" ... scontext=system_u:system_r:iptables_t:s0 tcontext=... tclass=dir
//     permissive=0` (fedora-selinux/selinux-policy#1084)
//   audit.log: `type=AVC msg=audit(1679342138.151:13404): avc:  denied  { read } for  pid=155106
//     comm="iptables-restor" name="hello" dev="vda2" ino=31392461 scontext=unconfined_u:system_r:iptables_t:s0
//     tcontext=unconfined_u:object_r:admin_home_t:s0 tclass=file permissive=0` (containers/container-selinux#221,
//     where iptables-restore printed "Can't open /tmp/hello: Permission denied")
//   AppArmor: `audit: type=1400 audit(1511322217.267:80): apparmor="DENIED" operation="open"
//     profile="snap.openra.ra" name="/etc/openal/alsoft.conf" pid=20414 comm="mono-sgen" requested_mask="r"
//     denied_mask="r" fsuid=1001 ouid=0` (diddlesnaps/openra#2); journald's audit transport prefixes "AVC "
//     (mrash/fwknop#315).
import { defineCheck, notApplicable, unknown, type FindingInput } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { JournalEntry } from '../../../parsers/journal.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { loaderUnit, primaryLoader } from '../../host-commands.ts';
import { manual, restartLoaderLater } from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';

const ID = 'security/permission-denied';

/** Process names (comm, 15 characters at most) of the programs that restore rules and sets at boot. */
const FIREWALL_COMMS =
  /^(?:ip6?tables(?:-restor|-resto|-save|-legacy-.*|-nft-.*)?|xtables-(?:nft|legacy)-.*|ipset(?:\.start-sto)?|netfilter-persi|iptables\.init|ip6tables\.init|run-parts|\d\d-ip(?:set|[46]tables)|ufw-init|firewalld|nft)$/;
const FIREWALL_PATHS =
  /^\/(?:etc\/(?:iptables|sysconfig\/(?:ip6?tables|ipset)|ipset\.conf|nftables\.conf)|(?:usr\/)?s?bin\/(?:ip6?tables|xtables|ipset|nft)|run\/xtables\.lock)/;

export interface Denial {
  readonly kind: 'selinux' | 'apparmor';
  readonly fields: ReadonlyMap<string, string>;
  readonly perms: string;
  readonly entry: JournalEntry;
}

function fieldsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) {
    if (m[1] !== undefined && m[2] !== undefined) {
      out.set(m[1], m[3] ?? m[2]);
    }
  }
  return out;
}

/** An SELinux AVC or AppArmor denial in one journal message, or undefined. */
export function parseDenial(entry: JournalEntry): Denial | undefined {
  const avc = /avc:\s+denied\s+\{\s*([^}]*?)\s*\}\s+for\s+(.*)$/.exec(entry.message);
  if (avc?.[1] !== undefined && avc[2] !== undefined) {
    return { kind: 'selinux', fields: fieldsOf(avc[2]), perms: avc[1], entry };
  }
  if (/apparmor="DENIED"/.test(entry.message)) {
    const fields = fieldsOf(entry.message);
    return { kind: 'apparmor', fields, perms: fields.get('requested_mask') ?? '', entry };
  }
  return undefined;
}

function isFirewallDenial(d: Denial): boolean {
  const comm = d.fields.get('comm') ?? '';
  const target = d.fields.get('path') ?? d.fields.get('name') ?? '';
  return (
    FIREWALL_COMMS.test(comm) ||
    FIREWALL_PATHS.test(target) ||
    (d.fields.get('scontext') ?? '').includes(':iptables_t:') ||
    /iptables|ipset|netfilter|ufw|firewalld/.test(d.fields.get('profile') ?? '')
  );
}

/** The full path a denial is about: `path=`, an absolute `name=`, or a loader file with that base name. */
function deniedPath(model: HostModel, d: Denial): string | undefined {
  const path = d.fields.get('path') ?? d.fields.get('name');
  if (path === undefined) {
    return undefined;
  }
  if (path.startsWith('/')) {
    return path;
  }
  const candidates = [...model.savedFileStatus.keys()].filter((p) => p.endsWith(`/${path}`));
  return candidates.length === 1 ? candidates[0] : undefined;
}

function journalEv(model: HostModel, e: JournalEntry, note?: string): Evidence {
  return evidenceAt(model.journal.source, e.line, e.message, note);
}

/** sh's and iptables-restore's own words when the loader could not open a file. */
function openFailures(model: HostModel, path: string | undefined): Evidence[] {
  const re =
    path === undefined
      ? /(?:cannot open|Can't open) (\S+): Permission denied/
      : new RegExp(
          `(?:cannot open|Can't open) ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: Permission denied`,
        );
  return model.journal.entries
    .filter((e) => re.test(e.message))
    .slice(0, 2)
    .map((e) => journalEv(model, e, 'the loader could not read the file'));
}

function profileFile(profile: string): string {
  // Path-named profiles live in /etc/apparmor.d/usr.sbin.NAME; named profiles in a file of that name.
  return profile.startsWith('/') ? profile.slice(1).replaceAll('/', '.') : profile;
}

function selinuxFinding(model: HostModel, d: Denial): FindingInput {
  const path = deniedPath(model, d);
  const comm = d.fields.get('comm') ?? '?';
  const tcontext = d.fields.get('tcontext') ?? '?';
  const permissive = d.fields.get('permissive') === '1';
  const target = path ?? d.fields.get('name') ?? d.fields.get('path') ?? '?';
  return {
    messageId: 'selinux',
    key: `selinux:${comm}:${target}:${d.perms}`,
    data: {
      comm,
      perms: d.perms,
      target,
      tcontext,
      mode: permissive ? 'permissive: logged, not enforced' : 'enforced',
    },
    evidence: [journalEv(model, d.entry), ...openFailures(model, path)],
    subjects: [`file:${target}`, `unit:${loaderUnit(primaryLoader(model))}`, 'security:selinux'],
    ...(permissive ? { severity: 'info' as const } : {}),
    fix: {
      // Relabelling is not an action kind; it is shown for a person to run (paths come from the journal: quoted).
      actions: [
        manual(
          `Check the label ${path ?? target} has now (the denial names ${tcontext}) and reset it to the policy default.`,
          'A file moved (mv) or copied with -a from /tmp or a home directory keeps that label; restorecon resets it to the policy default for its path (system_conf_t for /etc/sysconfig), which iptables_t may read.',
          path === undefined
            ? `ls -Z ${shQuote(target)}; sudo restorecon -Rv /etc/sysconfig /etc/iptables`
            : `ls -Z ${shQuote(path)}; sudo restorecon -v ${shQuote(path)}`,
        ),
        restartLoaderLater(model, 'Restores the rules now that the loader can read them.'),
      ],
      persistence:
        'The label is stored on the file (an extended attribute) and survives reboots; a full relabel (/.autorelabel) would also set it. Write rules with `iptables-save > FILE` in place, or `cp` without -a, to keep the right label.',
      verify: `ls -Z ${path ?? target}; sudo ausearch -m avc -ts recent -c ${comm}`,
    },
    next: 'If the label is right and the denial stays, the policy lacks the rule: `sudo ausearch -m avc -c COMM | audit2allow -M local_iptables` shows what a local module would allow (review it before loading).',
  };
}

function apparmorFinding(model: HostModel, d: Denial): FindingInput {
  const profile = d.fields.get('profile') ?? '?';
  const target = d.fields.get('name') ?? '?';
  const operation = d.fields.get('operation') ?? '?';
  const mode = operation === 'exec' ? 'ix' : /[wc]/.test(d.perms) ? 'rw' : 'r';
  const file = profileFile(profile);
  return {
    messageId: 'apparmor',
    key: `apparmor:${profile}:${target}:${operation}`,
    data: { profile, target, operation, comm: d.fields.get('comm') ?? '?' },
    evidence: [journalEv(model, d.entry), ...openFailures(model, target)],
    subjects: [`file:${target}`, `unit:${loaderUnit(primaryLoader(model))}`, 'security:apparmor'],
    fix: {
      // review-level change to a security policy (it allows more): a person decides, so it is manual.
      actions: [
        manual(
          `Allow profile ${profile} to ${operation} ${target} in its local override, then reload the profile.`,
          `The local/ override is included by the packaged profile and survives package upgrades.`,
          `echo ${shQuote(`  ${target} ${mode},`)} | sudo tee -a ${shQuote(`/etc/apparmor.d/local/${file}`)} && sudo apparmor_parser -r ${shQuote(`/etc/apparmor.d/${file}`)}`,
        ),
        restartLoaderLater(model, 'Restores the rules now that the loader can read them.'),
      ],
      persistence: 'apparmor.service loads /etc/apparmor.d with its local/ overrides on every boot.',
      verify: `sudo journalctl -k -b | grep -c 'apparmor="DENIED".*${target}'   # no new lines after the restart`,
    },
    next: 'If the profile file has no `include if exists <local/...>` line, add the rule inside the profile itself (or `aa-complain` it while you do).',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title:
      'The firewall loader may read its rules (no SELinux/AppArmor denial), and nfdoctor could read them too',
    severity: 'error',
    messages: {
      selinux:
        'SELinux denied {{comm}} {{perms}} on {{target}} ({{tcontext}}, {{mode}}): the loader cannot read what it restores',
      apparmor:
        'AppArmor profile {{profile}} denied {{operation}} of {{target}} ({{comm}}): the loader cannot read what it restores',
      openDenied:
        'The loader could not open {{path}} at boot (Permission denied) although it runs as root: a security module or the filesystem refused it',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const files = [...model.savedFileStatus].filter(([, s]) => s.status !== 'absent');
    if (model.savedRules.length === 0 && files.length === 0) {
      return notApplicable('no saved rules or set files on this host');
    }
    const denials = model.journal.entries
      .map(parseDenial)
      .filter((d): d is Denial => d !== undefined && isFirewallDenial(d));
    const explained = new Set<string>();
    for (const d of denials) {
      const finding = d.kind === 'selinux' ? selinuxFinding(model, d) : apparmorFinding(model, d);
      explained.add(String(finding.data.target));
      ctx.report(finding);
    }
    for (const e of openFailures(model, undefined)) {
      const path = /open (\S+): Permission denied/.exec(e.text ?? '')?.[1] ?? '?';
      if (explained.has(path)) {
        continue;
      }
      explained.add(path);
      ctx.report({
        messageId: 'openDenied',
        key: `open:${path}`,
        data: { path },
        evidence: [e],
        subjects: [`file:${path}`, `unit:${loaderUnit(primaryLoader(model))}`],
        fix: {
          actions: [
            manual(
              `Look at ${path}: owner, mode, SELinux label and attributes, and find the denial behind it.`,
              'With auditd running, AVCs are only in /var/log/audit/audit.log.',
              `ls -lZ ${shQuote(path)}; lsattr ${shQuote(path)}; sudo journalctl -b -k -g 'avc:  denied|apparmor="DENIED"'; sudo ausearch -m avc,apparmor -ts boot`,
            ),
          ],
          persistence: 'Depends on the cause the denial shows; re-run nfdoctor after finding it.',
          verify: `sudo cat ${path} >/dev/null && echo readable`,
        },
      });
    }
    const unreadable = files.filter(([, s]) => s.status !== 'ok');
    if (unreadable.length > 0) {
      const [path, s] = unreadable[0] ?? ['?', { status: '?' }];
      const root =
        s.status === 'permission-denied'
          ? model.source.kind === 'snapshot'
            ? ' (the collector did not run as root: run it with sudo)'
            : ' (run nfdoctor as root)'
          : '';
      // Reported findings win over this; without any, an unreadable rules file is never a pass.
      return unknown(`nfdoctor could not read ${path}: ${s.status}${root}`);
    }
    if (!model.journal.available) {
      return unknown(
        `the journal of this boot is not available (${model.journal.reason ?? 'unknown reason'}), so denials cannot be ruled out`,
      );
    }
    return undefined;
  },
});
