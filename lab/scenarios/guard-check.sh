#!/bin/bash
# Sourced by the guard-*.sh lab scenarios: on the broken boot, records what nfdoctor's boot guard (installed on
# the setup boot by NFLAB_PRE="guard install ...") did, before anything else changes the ruleset, then runs
# `nfdoctor guard release` and records the ruleset after it.
NOT_LOADED=514ef9111b1448fe9a8393636f81c30c
RELEASED=9c27f46154464118b2c7c83bd54512df
section() { echo; echo "== $*"; }
guard_evidence() {
  # The report unit (Type=exec, after multi-user.target) may still be diagnosing: wait for it (TCG: minutes).
  section "waiting for nfdoctor-guard-report.service"
  for i in $(seq 1 900); do
    st=$(systemctl show -p ActiveState --value nfdoctor-guard-report.service)
    case $st in active|activating|reloading) sleep 2 ;; *) echo "state=$st after ${i} polls"; break ;; esac
  done
  for u in nfdoctor-guard.service nfdoctor-guard-report.service; do
    section "systemctl show $u"
    systemctl show $u -p ActiveState -p SubState -p Result -p ExecMainStatus \
      -p InactiveExitTimestampMonotonic -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic \
      -p ActiveEnterTimestampMonotonic -p After -p Before -p UnitFileState
    section "systemctl status $u"; systemctl status $u --no-pager
    section "journalctl -b -u $u"; journalctl -b -u $u -o short-monotonic --no-pager
  done
  section "boot timestamps (monotonic, us)"
  for u in systemd-modules-load.service netfilter-persistent.service nfdoctor-guard.service network-pre.target \
    network.target multi-user.target graphical.target nfdoctor-guard-report.service; do
    echo "$u $(systemctl show $u -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic \
      -p ActiveExitTimestampMonotonic -p InactiveEnterTimestampMonotonic | tr '\n' ' ')"
  done
  section "/run/nfdoctor/guard-boot.state"; cat /run/nfdoctor/guard-boot.state 2>&1
  section "journalctl -b MESSAGE_ID=$NOT_LOADED -o verbose"
  journalctl -b MESSAGE_ID=$NOT_LOADED -o verbose --no-pager
  section "journalctl -b SYSLOG_IDENTIFIER=nfdoctor-guard -o json"
  journalctl -b SYSLOG_IDENTIFIER=nfdoctor-guard -o json --no-pager
  section "ordering cycles this boot"
  journalctl -b -o short-precise --no-pager | grep -i 'ordering cycle' || echo "(none)"
  section "/var/lib/nfdoctor/boot.json"; cat /var/lib/nfdoctor/boot.json
  section "textfile"; ls -la /var/lib/prometheus/node-exporter/ 2>&1; cat /var/lib/prometheus/node-exporter/nfdoctor.prom 2>&1
  section "/run/motd.d"; ls -la /run/motd.d 2>&1; cat /run/motd.d/* 2>&1
  section "nfdoctor guard status"; /usr/local/bin/nfdoctor guard status; echo "rc=$?"
  section "iptables-save (as the guard left it)"; iptables-save
  section "ip6tables-save (as the guard left it)"; ip6tables-save
  section "systemd-analyze critical-chain nfdoctor-guard.service"
  systemd-analyze critical-chain nfdoctor-guard.service --no-pager
  section "systemd-analyze critical-chain network-pre.target"
  systemd-analyze critical-chain network-pre.target --no-pager
  section "systemd-analyze blame (guard units)"; systemd-analyze blame --no-pager | grep -E 'nfdoctor|netfilter-persistent'
  section "systemd-analyze blame (top 25)"; systemd-analyze blame --no-pager | head -25
  section "systemd-analyze time"; systemd-analyze time --no-pager
  section "Startup finished"; journalctl -b -o short-monotonic --no-pager | grep 'Startup finished'
  section "systemctl --failed"; systemctl --failed --no-pager
}
guard_release() {
  section "nfdoctor guard release"; /usr/local/bin/nfdoctor guard release; echo "rc=$?"
  section "iptables-save after release"; iptables-save
  section "ip6tables-save after release"; ip6tables-save
  section "/run/motd.d after release"; cat /run/motd.d/* 2>&1
  section "journalctl -b MESSAGE_ID=$RELEASED"; journalctl -b MESSAGE_ID=$RELEASED -o short-precise --no-pager
  section "nfdoctor guard status after release"; /usr/local/bin/nfdoctor guard status; echo "rc=$?"
}
# The pre-network script's cost, part by part, on this boot after release (the boot-time figure is systemd-analyze
# blame above; this says where it goes). The script is re-run 3 times against a copy of /etc/iptables (its state
# goes to /tmp/guard-rerun); an emergency ruleset it loads is taken out again with the release transaction.
guard_timing() {
  TIMEFORMAT='%R s wall, %U s user, %S s sys'
  section "timing: sh -c :"; time sh -c :
  section "timing: readlink -f iptables-restore"; time readlink -f "$(command -v iptables-restore)"
  section "timing: iptables-nft-save"; time iptables-nft-save >/dev/null
  section "timing: ip6tables-nft-save"; time ip6tables-nft-save >/dev/null
  rm -rf /tmp/guard-rerun; mkdir -p /tmp/guard-rerun/etc; cp -a /etc/iptables /tmp/guard-rerun/etc/
  ln -s /proc /tmp/guard-rerun/proc
  for i in 1 2 3; do
    section "timing: guard-boot.sh rerun $i"
    time NFDOCTOR_ROOT=/tmp/guard-rerun sh /var/lib/nfdoctor/guard-boot.sh 2>&1; echo "rc=$?"
    grep -E 'verdict|failclosed=' /tmp/guard-rerun/run/nfdoctor/guard-boot.state
    if iptables-save | grep -q NFDOCTOR-GUARD-IN; then
      printf '*filter\n-D INPUT -j NFDOCTOR-GUARD-IN\n-D FORWARD -j NFDOCTOR-GUARD-FWD\n-F NFDOCTOR-GUARD-IN\n-F NFDOCTOR-GUARD-FWD\n-X NFDOCTOR-GUARD-IN\n-X NFDOCTOR-GUARD-FWD\nCOMMIT\n' |
        iptables-restore --noflush && echo "(emergency ruleset of the rerun released)"
    fi
  done
}
