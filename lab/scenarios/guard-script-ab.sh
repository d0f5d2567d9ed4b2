#!/bin/bash
# guard-script-ab: the pre-network script with and without the guard-boot changes, A/B in alternating rounds on
# one VM, each run from a bare kernel (no netfilter module loaded), so that load on the host hits both alike.
# Setup: no loader, no saved rules under /etc/iptables (so the boot guard itself does nothing and pins no module),
# healthy's rules.v4 kept aside for the runs. Run with NFLAB_PRE="guard install --fail-closed --allow
# 10.0.2.0/24:22": the installed /var/lib/nfdoctor/guard-boot.sh (its preload list computed on this VM) is
# "new"; "old" is the same script with the two changes switched off (nft_absent always "cannot tell", so the
# save runs; preload does nothing), which is the script before them. Each run goes into a fresh network
# namespace against a copy of /etc/iptables; the namespace is deleted and every module the run loaded is
# unloaded before the next one.
# Output (check.log): AB <round> <old|new> <wall ms> <user+sys ms of the script and its children> <rc> <modules>
# nflab-data: scenarios/healthy.sh
# nflab-data: lab-modules.sh
set -u
# What the emergency restore (and iptables-nft-save) load on a bare kernel, users first: unloaded before each run.
NF="xt_conntrack xt_tcpudp nft_compat nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6 nf_tables nfnetlink libcrc32c ip_tables x_tables"
case ${1:-} in
setup)
  bash ./healthy.sh setup
  mkdir -p /root/ab
  mv /etc/iptables/rules.v4 /root/ab/rules.v4
  rm -f /etc/iptables/rules.v6 /etc/iptables/ipsets
  systemctl disable netfilter-persistent.service
  ;;
check)
  . "$(dirname "$(readlink -f "$0")")/lab-modules.sh"
  echo "== boot: systemd-analyze blame (guard)"; systemd-analyze blame --no-pager | grep nfdoctor-guard.service
  echo "== boot: guard state"; cat /run/nfdoctor/guard-boot.state
  echo "== boot: lsmod"; lsmod
  new=/var/lib/nfdoctor/guard-boot.sh old=/tmp/guard-boot.old.sh
  sed -e 's/^nft_absent() {$/nft_absent() {\n  return 1/' -e 's/^preload() {$/preload() {\n  return 0/' "$new" >"$old"
  echo "== old vs new"; diff "$new" "$old"
  root=/tmp/guard-ab
  rm -rf "$root"; mkdir -p "$root/etc/iptables"; cp /root/ab/rules.v4 "$root/etc/iptables/"
  for d in proc sys lib; do ln -s "/$d" "$root/$d"; done
  left=$(unload $NF)
  echo "== bare kernel (not unloadable: ${left:-none})"
  baseline=$(mods)
  reset() {
    ip netns del nfab 2>/dev/null
    local left
    left=$(unload $(comm -13 <(echo "$baseline") <(mods)))
    [ -z "$left" ] || echo "LEFT $left"
    ip netns add nfab
  }
  run() { # round label script
    local a b t0 t1
    reset
    rm -rf "$root/run"
    read -r t0 < <(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
    a=$(date +%s%N)
    ip netns exec nfab env NFDOCTOR_ROOT="$root" sh "$3" >/dev/null 2>/tmp/ab.err
    local rc=$?
    b=$(date +%s%N)
    read -r t1 < <(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
    printf 'AB\t%s\t%s\t%d\t%d\t%s\t%s\n' "$1" "$2" $(((b - a) / 1000000)) $(((t1 - t0) * 10)) "$rc" \
      "$(comm -13 <(echo "$baseline") <(mods) | tr '\n' ',')"
    grep -E 'verdict|failclosed=|preload|live=' "$root/run/nfdoctor/guard-boot.state" | tr '\n' ' '; echo
  }
  echo "== A/B"
  echo "KERNEL	$(uname -r)"
  echo "BASELINE	$(echo "$baseline" | tr '\n' ',')"
  for r in 1 2 3 4 5; do
    if [ $((r % 2)) = 1 ]; then run $r old "$old"; run $r new "$new"; else run $r new "$new"; run $r old "$old"; fi
  done
  ip netns del nfab
  ;;
esac
