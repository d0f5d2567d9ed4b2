#!/bin/bash
# queue-verdict: a rules.v4 carried over from an iptables-legacy host sends UDP 9999 to userspace with the old
# `-j QUEUE`. iptables-nft writes QUEUE as an xtables target named "QUEUE" (iptables/nft.c add_action ->
# add_target), which the kernel looks up as module ipt_QUEUE; no kernel has had it since ip_queue went in
# Linux 3.5. iptables-legacy makes QUEUE the NF_QUEUE verdict. Predictions written before this ran:
#   - netfilter-persistent (nft, the Debian default) fails at boot with "line 6: RULE_APPEND failed (No such
#     file or directory)"; the --test pass passes; no IPv4 rule is live;
#   - `modprobe -n -v ipt_QUEUE` finds no module;
#   - the same file loads with iptables-legacy-restore in a fresh network namespace (rc 0), and with
#     iptables-nft-restore there it fails the same way (rc 4);
#   - nfdoctor names line 6 and QUEUE as the cause and proposes NFQUEUE --queue-num 0.
# Result (2026-12-03, 115 s): all held but the last. `check` already knew QUEUE, but the in-VM diagnose
# quoted the ENOENT as "the kernel has no the extension the rule uses" with "remove or replace the rule":
# restore-failed consulted check only for EINVAL-type refusals. Fixed in the same change (3a87fd5).
set -eu
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp -m udp --dport 9999 -j QUEUE
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
R
  ;;
check)
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v ipt_QUEUE"; modprobe -n -v ipt_QUEUE 2>&1 && echo rc=0 || echo "rc=$?"
  ip netns add nflab-queue
  echo "== iptables-legacy-restore in a fresh netns"
  ip netns exec nflab-queue iptables-legacy-restore /etc/iptables/rules.v4 2>&1 && echo rc=0 || echo "rc=$?"
  echo "== iptables-nft-restore in a fresh netns"
  ip netns exec nflab-queue iptables-nft-restore /etc/iptables/rules.v4 2>&1 && echo rc=0 || echo "rc=$?"
  ip netns delete nflab-queue
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
