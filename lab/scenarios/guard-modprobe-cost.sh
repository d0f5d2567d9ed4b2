#!/bin/bash
# guard-modprobe-cost: what loading the fail-closed emergency ruleset's kernel modules costs under TCG, so the
# boot guard's design rests on numbers. Nothing loads netfilter at boot (as module-probes.sh); the check hook then
# times, in rounds, from the same bare state each time (the tables live in a network namespace that is deleted,
# then what the step loaded is unloaded again; rounds w* keep the page cache, rounds c* drop it before each step):
#   exec           sh -c : (one fork+exec)
#   dryrun         modprobe -n -q nf_tables (a modprobe process that reads the indexes and inserts nothing)
#   one-by-one     modprobe -q M for each module of MODS, one process each (what kernel autoloads do)
#   batch          modprobe -q -a MODS (one process)
#   save+restore   iptables-nft-save then iptables-nft-restore --noflush EMERGENCY, modules autoloaded (the guard today)
#   batch+restore  modprobe -q -a MODS then the restore (the guard with one batched modprobe)
#   restore-warm   the restore again with every module already loaded (the restore itself)
# Output (check.log): TIME <round> <step> <wall ms> <modules the step loaded>
# nflab-data: lab-modules.sh
set -u
MODS="nfnetlink nf_tables nft_compat xt_tcpudp xt_conntrack"
case ${1:-} in
setup)
  systemctl disable netfilter-persistent.service 2>/dev/null || true
  rm -f /etc/iptables/rules.v4 /etc/iptables/rules.v6 /etc/iptables/ipsets
  ;;
check)
  # src/guard/emergency.ts emergencyRuleset('ipv4', [10.0.2.0/24:22], 'stateful')
  cat >/tmp/emergency.v4 <<'R'
*filter
:NFDOCTOR-GUARD-IN - [0:0]
:NFDOCTOR-GUARD-FWD - [0:0]
-A NFDOCTOR-GUARD-IN -i lo -j ACCEPT
-A NFDOCTOR-GUARD-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A NFDOCTOR-GUARD-IN -s 10.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT
-A NFDOCTOR-GUARD-IN -j DROP
-A NFDOCTOR-GUARD-FWD -j DROP
-A INPUT -j NFDOCTOR-GUARD-IN
-A FORWARD -j NFDOCTOR-GUARD-FWD
COMMIT
R
  . "$(dirname "$(readlink -f "$0")")/lab-modules.sh"
  baseline=$(mods)
  step() { # round label cmd...
    local r=$1 l=$2 a b
    shift 2
    a=$(date +%s%N)
    "$@" >/dev/null 2>/tmp/step.err
    local rc=$?
    b=$(date +%s%N)
    printf 'TIME\t%s\t%s\t%d\trc=%s\t%s\n' "$r" "$l" $(((b - a) / 1000000)) "$rc" \
      "$(comm -13 <(echo "$baseline") <(mods) | tr '\n' ',')"
  }
  reset() {
    ip netns del nfm 2>/dev/null
    left=$(unload $(comm -13 <(echo "$baseline") <(mods)))
    [ -z "$left" ] || echo "LEFT $left"
    ip netns add nfm
    # "c" rounds start each step with a cold page cache (module indexes and .ko files read from disk again).
    case $r in c*) sync; echo 3 >/proc/sys/vm/drop_caches ;; esac
  }
  one_by_one() { for m in $MODS; do modprobe -q "$m" || return 1; done; }
  restore() { ip netns exec nfm iptables-nft-restore --noflush </tmp/emergency.v4; }
  save() { ip netns exec nfm iptables-nft-save; }
  echo "KERNEL	$(uname -r)"
  echo "IPTABLES	$(iptables --version)"
  echo "BASELINE	$(echo "$baseline" | tr '\n' ',')"
  echo "CPU	$(grep -m1 'model name' /proc/cpuinfo)"
  for r in w1 c1 w2 c2 w3; do
    reset; step $r exec sh -c :
    reset; step $r dryrun modprobe -n -q nf_tables
    reset; step $r netns-exec ip netns exec nfm true
    reset
    for m in $MODS; do step $r "modprobe-$m" modprobe -q "$m"; done
    reset; step $r one-by-one one_by_one
    reset; step $r batch modprobe -q -a $MODS
    reset; step $r save-cold save; step $r restore-after-save restore
    reset; step $r restore-cold restore
    reset; step $r batch-before-restore modprobe -q -a $MODS; step $r restore-after-batch restore
    step $r restore-warm-release sh -c "printf '*filter\n-D INPUT -j NFDOCTOR-GUARD-IN\n-D FORWARD -j NFDOCTOR-GUARD-FWD\n-F NFDOCTOR-GUARD-IN\n-F NFDOCTOR-GUARD-FWD\n-X NFDOCTOR-GUARD-IN\n-X NFDOCTOR-GUARD-FWD\nCOMMIT\n' | ip netns exec nfm iptables-nft-restore --noflush"
    step $r restore-warm restore
    step $r save-warm save
  done
  reset
  ip netns del nfm
  echo "END	$(mods | tr '\n' ',')"
  ;;
esac
