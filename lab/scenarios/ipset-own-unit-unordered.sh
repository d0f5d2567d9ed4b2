#!/bin/bash
# ipset-own-unit-unordered: ipset-own-unit without the unit's Before=netfilter-persistent.service line (the
# other half of those guides). Run with ipset-own-unit.sh beside it (nflab-data).
# nflab-data: ipset-own-unit.sh
# Predictions written before this ran:
#   - netfilter-persistent (DefaultDependencies=no, early) test-loads rules.v4 before the unit (default
#     dependencies: after sysinit.target and basic.target) restores the set: "Set blocklist doesn't exist.",
#     "New rules NOT loaded", unit active; later the set exists, no rule is live;
#   - nfdoctor (before this change) calls the set "not saved" and proposes ipset-persistent, instead of
#     naming ipset-restore.service's missing order.
# Result (2026-12-03, tcg): the first prediction failed. It is a race, and this boot the sets won it:
# netfilter-persistent started 1.4 s before ipset-restore.service, but its IPv4 plugin ran from 00.54 to 03.72
# under emulation and the restore finished at 03.41, so rules.v4 loaded (5 rules). nfdoctor said "not saved"
# (false). Now: a warning that names the unit's missing Before= and the race (an error once the journal shows
# "Set blocklist doesn't exist"), fixed with a drop-in.
# Run 2 (17:09, 120 s): the rules lost the race: "Set blocklist doesn't exist.", New rules NOT loaded, nothing
# live; nfdoctor: root ownUnitLate (error, with the journal line), under it the test load and the empty ruleset.
# Run 3 (17:12, 190 s, NFLAB_FIX="fix --apply --yes"): lost again; the fix wrote the drop-in (Before=, Type=
# oneshot), reloaded and restarted the loader (0 -> 5 rules); after the reboot the restore finished before
# 15-ip4tables started, 5 rules live, the VM's own diagnose found nothing.
# Run 4 (17:31, 184 s, NFLAB_FIX, the collector that takes admin units' drop-ins): the sets won again; nfdoctor
# warned of the race; the fix: 1 warning -> 0 findings, exit 0; after the reboot 0 findings, also from the
# snapshot.
set -eu
here=$(dirname "$(readlink -f "$0")")
case ${1:-} in
setup)
  bash "$here/ipset-own-unit.sh" setup
  sed -i '/^Before=netfilter-persistent.service$/d' /etc/systemd/system/ipset-restore.service
  ;;
check)
  bash "$here/ipset-own-unit.sh" check
  ;;
esac
