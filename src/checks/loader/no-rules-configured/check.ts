// Nothing restores iptables rules at boot: no saved ruleset in any known layout and no other firewall
// service. If rules are loaded right now, they are lost at the next reboot.
import { defineCheck, notApplicable, unknown, type Fix } from '../../types.ts';
import {
  SAVED_RULES_LAYOUT,
  unreadableSavedRules,
  type HostModel,
  type LiveRules,
} from '../../../model/host-model.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { distroFamily, isContainer } from '../../host-commands.ts';
import { manual } from '../../fix-actions.ts';

const OTHER_FIREWALLS = ['ufw.service', 'firewalld.service', 'nftables.service'];

function enabledOtherFirewall(model: HostModel): { unit: string; source: string } | undefined {
  for (const unit of OTHER_FIREWALLS) {
    const info = model.units.get(unit);
    if (info?.enabled?.state === 'enabled' || info?.show?.get('ActiveState') === 'active') {
      return { unit, source: info.enabled?.source ?? `systemctl show ${unit}` };
    }
  }
  return undefined;
}

function liveRuleCount(live: LiveRules): number | undefined {
  return live.ruleset?.tables.reduce(
    (n, t) => n + t.rules.filter((r) => r.command === 'append' || r.command === 'insert').length,
    0,
  );
}

/**
 * OpenRC (Alpine, Gentoo): the iptables and ip6tables services save to and restore from the file their
 * conf.d names (src/model/openrc.ts); `rc-update add` links them into the default runlevel.
 */
function openRcSaveFix(install: string): Fix {
  return {
    actions: [
      manual(
        'Install the iptables services, save the rules loaded now to the files they restore, and add both to the default runlevel.',
        'OpenRC starts the services of /etc/runlevels/default at every boot, and each restores its saved file.',
        `${install} && sudo rc-service iptables save && sudo rc-service ip6tables save && sudo rc-update add iptables default && sudo rc-update add ip6tables default`,
      ),
    ],
    persistence:
      'OpenRC starts iptables and ip6tables from the default runlevel at every boot; each runs iptables-restore on the file its /etc/conf.d file names.',
    verify: 'rc-update show default | grep -w iptables && sudo iptables-save | grep -c -- "-A"',
  };
}

// Nothing is saved, so nothing says which rules are wanted: saving the live rules and installing a loader
// are a person's decisions (manual steps).
function saveFix(model: HostModel): Fix {
  switch (distroFamily(model)) {
    case 'rhel':
      return {
        actions: [
          manual(
            'Install iptables-services, save the rules loaded now to /etc/sysconfig/iptables and ip6tables, and enable iptables.service and ip6tables.service.',
            'iptables.service restores /etc/sysconfig/iptables on every boot.',
            'sudo dnf install iptables-services && sudo sh -c "iptables-save > /etc/sysconfig/iptables && ip6tables-save > /etc/sysconfig/ip6tables" && sudo systemctl enable iptables.service ip6tables.service',
          ),
        ],
        persistence: 'iptables.service reads /etc/sysconfig/iptables on every boot.',
        verify: 'systemctl is-enabled iptables && sudo iptables-save | grep -c -- "-A"',
      };
    case 'alpine':
      return openRcSaveFix('sudo apk add iptables ip6tables');
    case 'gentoo':
      return openRcSaveFix('sudo emerge --noreplace net-firewall/iptables');
    case 'arch':
      return {
        actions: [
          manual(
            "Save the rules loaded now where Arch's iptables.service reads them, and enable iptables.service and ip6tables.service.",
            'iptables.service restores them on every boot.',
            'sudo sh -c "iptables-save > /etc/iptables/iptables.rules && ip6tables-save > /etc/iptables/ip6tables.rules" && sudo systemctl enable iptables.service ip6tables.service',
          ),
        ],
        persistence: 'iptables.service runs iptables-restore /etc/iptables/iptables.rules on every boot.',
        verify: 'systemctl is-enabled iptables',
      };
    default:
      return {
        actions: [
          manual(
            'Install iptables-persistent and save the rules loaded now to /etc/iptables/rules.v4 and rules.v6.',
            'netfilter-persistent restores /etc/iptables/rules.v4 and rules.v6 at boot.',
            'sudo apt-get install iptables-persistent && sudo netfilter-persistent save',
          ),
        ],
        persistence:
          'netfilter-persistent.service is enabled on install and restores the saved files early in every boot.',
        verify: 'systemctl is-enabled netfilter-persistent && sudo iptables-save | grep -c -- "-A"',
      };
  }
}

/**
 * A container without an init system (docker, podman ...) runs only its entrypoint when it starts: no
 * loader unit runs there, and iptables-persistent's would not either. Rules it must have come from the
 * entrypoint (with CAP_NET_ADMIN); by default the host filters its traffic.
 */
const CONTAINER_FIX: Fix = {
  actions: [
    manual(
      "Save the rules into the container's image or a volume and restore them from its entrypoint before the service starts; the container needs CAP_NET_ADMIN. If the host should filter instead, put the rules on the host (with Docker, in its DOCKER-USER chain).",
      'Without an init system, the entrypoint is the only thing that runs at every start of the container.',
      'iptables-save > /etc/iptables/rules.v4 && ip6tables-save > /etc/iptables/rules.v6   # then in the entrypoint: iptables-restore < /etc/iptables/rules.v4; ip6tables-restore < /etc/iptables/rules.v6',
    ),
  ],
  persistence:
    'The entrypoint runs at every start of the container, and the saved files come back with its image or volume.',
  verify: "iptables-save | grep -c -- '-A'   # inside the container, after it restarted",
};

export default defineCheck({
  meta: {
    id: 'loader/no-rules-configured',
    title: 'Some firewall configuration is restored at boot',
    severity: 'warning',
    messages: {
      notPersisted:
        '{{count}} iptables rules are loaded now, but no saved ruleset exists in any known location: they are gone after the next reboot',
      nothingConfigured:
        'No saved iptables ruleset in any known location and no firewall service enabled: nothing loads a firewall at boot',
      containerNotPersisted:
        '{{count}} iptables rules are loaded in this {{virt}} container, but nothing restores them when it restarts: it has no init system to run a loader, and no saved ruleset exists',
      containerNothing:
        'No iptables rules are loaded or saved in this {{virt}} container, which has no init system (only its entrypoint runs at start): its traffic is filtered, if at all, by the host',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length > 0) {
      return undefined;
    }
    const unreadable = unreadableSavedRules(model);
    if (unreadable.length > 0) {
      return unknown(
        `cannot read ${unreadable.map((u) => `${u.path} (${u.status})`).join(', ')}: run nfdoctor as root`,
      );
    }
    const other = enabledOtherFirewall(model);
    if (other !== undefined) {
      return notApplicable(
        `the firewall is managed by ${other.unit} (${other.source}), not by saved iptables rules`,
      );
    }
    const looked: Evidence[] = [
      ...SAVED_RULES_LAYOUT.map((l) => l.path),
      ...model.openrc.loaders.map((l) => l.savePath),
    ].map((path) => evidenceAt(path, undefined, undefined, 'absent'));
    const live = model.liveRules.filter((l) => l.fact.status === 'ok' && l.backend !== 'default');
    const counted = live.map((l) => ({ l, n: liveRuleCount(l) ?? 0 })).filter((x) => x.n > 0);
    const liveEvidence = model.liveRules.map((l) =>
      evidenceAt(
        `command: ${l.fact.argv.join(' ') || l.id}`,
        undefined,
        undefined,
        l.fact.status === 'ok'
          ? `${liveRuleCount(l) ?? 0} rules`
          : `${l.fact.status}${l.fact.reason === undefined ? '' : `: ${l.fact.reason}`}`,
      ),
    );
    const total = counted.reduce((n, x) => n + x.n, 0);
    if (isContainer(model) && !model.systemd) {
      ctx.report({
        messageId: total > 0 ? 'containerNotPersisted' : 'containerNothing',
        key: 'saved-rules',
        data: { count: total, virt: model.virt ?? 'container' },
        evidence: [
          evidenceAt('command: systemd-detect-virt', undefined, model.virt, 'a container'),
          ...liveEvidence,
          ...looked,
        ],
        subjects: ['loader:none'],
        fix: CONTAINER_FIX,
        next: 'A rule that needs a kernel module works only if the host has loaded it: a container cannot load modules.',
        severity: total > 0 ? 'warning' : 'info',
      });
      return undefined;
    }
    ctx.report({
      messageId: total > 0 ? 'notPersisted' : 'nothingConfigured',
      key: 'saved-rules',
      data: { count: total },
      evidence: [...looked, ...liveEvidence],
      subjects: ['loader:none'],
      fix: saveFix(model),
      next:
        total > 0
          ? 'After saving, the rules depend on every module they use being available at boot: run nfdoctor again to check them against the kernel.'
          : 'Write the ruleset you want (iptables-restore format) to the saved location, then run nfdoctor again to check it against the kernel before rebooting.',
      ...(total > 0 ? { severity: 'error' as const } : {}),
    });
    return undefined;
  },
});
