#!/bin/bash
# chain-loop: the saved rules pass `iptables-restore --test` (and `netfilter-persistent` on the admin's
# test run, when it was checked that way), but a copy-paste slip made SSH-LOG jump back to SSH-GUARD
# instead of dropping: a loop of jumps reached from INPUT. The kernel refuses the whole table at COMMIT
# (nf_tables: ELOOP), so the host boots with no filter rules at all: INPUT policy ACCEPT, every port open,
# although the saved file says DROP. Issue 8's check (chain-flow.ts) and diagnose should name the line that
# closes the loop. Stock bookworm otherwise.
set -eu
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:SSH-GUARD - [0:0]
:SSH-LOG - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j SSH-GUARD
-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A SSH-GUARD -s 192.0.2.0/24 -j ACCEPT
-A SSH-GUARD -j SSH-LOG
-A SSH-LOG -m limit --limit 5/min -j LOG --log-prefix "ssh-drop: "
-A SSH-LOG -j SSH-GUARD
COMMIT
R
  echo "== iptables-restore --test"; iptables-restore --test < /etc/iptables/rules.v4 && echo "--test passed"
  ;;
check)
  echo "== iptables-restore --test"; iptables-restore --test < /etc/iptables/rules.v4; echo "rc $?"
  echo "== iptables-save"; iptables-save
  echo "== policy of INPUT"; iptables -S INPUT | head -1
  ;;
esac
