#!/bin/bash
# hostname-in-rules: a hand-written rules.v4 allows SSH from a host by name (`-s admin.example.org`).
# iptables resolves names when the rules load; netfilter-persistent runs before the network (and this VM has
# no DNS at all). Prediction written before this ran: the --test pass already fails with "host/network
# `admin.example.org' not found", netfilter-persistent prints "New rules NOT loaded" and the host has no
# rules; nfdoctor on the setup boot warns about the name at line 6 (check: state-dependent-load).
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
-A INPUT -s admin.example.org -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
R
  ;;
check)
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== getent hosts admin.example.org"; getent hosts admin.example.org && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
