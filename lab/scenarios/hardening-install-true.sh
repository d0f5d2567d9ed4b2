#!/bin/bash
# hardening-install-true: the dev-sec/CIS style of disabling modules, `install X /bin/true` (modprobe runs
# /bin/true, which succeeds, instead of loading X), for the usual list of filesystems and protocols, plus a
# local line for xt_recent. Predictions written before this ran:
#   - rules.v4 (-m recent) fails at boot: the kernel's request "succeeds" but nothing registers the match;
#   - rules.v6 (-p sctp -m sctp) loads: the match is xt_sctp, which needs neither the sctp protocol module
#     that `install sctp /bin/true` disables nor any other module on the list;
#   - nfdoctor, before the reboot (NFLAB_PRE), names xt_recent only.
# And for `fix --apply --yes` (NFLAB_FIX, 2026-12-03), before it ran: it comments out dev-sec.conf line 13
# only (the other eleven lines stay), restarts netfilter-persistent, and the rules load at once; after the
# reboot the unit is active, rules.v4's 3 rules and rules.v6's 3 are live, xt_recent is in /proc/modules,
# sctp is still kept out by its line, and nfdoctor finds nothing.
set -eu
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  cat > /etc/iptables/rules.v6 <<'R'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p sctp -m sctp --dport 3868 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  cat > /etc/modprobe.d/dev-sec.conf <<'M'
install cramfs /bin/true
install freevxfs /bin/true
install jffs2 /bin/true
install hfs /bin/true
install hfsplus /bin/true
install squashfs /bin/true
install udf /bin/true
install vfat /bin/true
install dccp /bin/true
install sctp /bin/true
install rds /bin/true
install tipc /bin/true
install xt_recent /bin/true
M
  ;;
check)
  echo "== netfilter modules"; grep -E '^(xt_recent|xt_sctp|sctp|nf_tables|nft_compat) ' /proc/modules || echo "(none)"
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save"; ip6tables-save && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v ipt_recent (dry run)"; modprobe -n -v ipt_recent && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v ip6t_sctp (dry run)"; modprobe -n -v ip6t_sctp && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
