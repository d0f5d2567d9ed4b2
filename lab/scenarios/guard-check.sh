#!/bin/bash
# Sourced by the guard-*.sh lab scenarios: on the broken boot, records what nfdoctor's boot guard (installed on
# the setup boot by NFLAB_PRE="guard install ...") did, before anything else changes the ruleset, then runs
# `nfdoctor guard release` and records the ruleset after it.
NOT_LOADED=514ef9111b1448fe9a8393636f81c30c
RELEASED=9c27f46154464118b2c7c83bd54512df
section() { echo; echo "== $*"; }
guard_evidence() {
  section "systemctl show nfdoctor-guard.service"
  systemctl show nfdoctor-guard.service -p ActiveState -p SubState -p Result -p ExecMainStatus \
    -p InactiveExitTimestampMonotonic -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic \
    -p ActiveEnterTimestampMonotonic -p After -p Before -p UnitFileState
  section "systemctl status nfdoctor-guard.service"; systemctl status nfdoctor-guard.service --no-pager
  section "journalctl -b MESSAGE_ID=$NOT_LOADED -o verbose"
  journalctl -b MESSAGE_ID=$NOT_LOADED -o verbose --no-pager
  section "journalctl -b -u nfdoctor-guard.service"
  journalctl -b -u nfdoctor-guard.service -o short-precise --no-pager
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
  section "systemd-analyze blame (top 25)"; systemd-analyze blame --no-pager | head -25
  section "systemd-analyze time"; systemd-analyze time --no-pager
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
