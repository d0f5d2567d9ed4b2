#!/bin/bash
# extract-guard-capture.sh TARBALL DEST: the small text parts of a guard-NAME lab run (see lab/scenarios/
# guard-scenario.sh) that fixtures/lab-captures/guard-NAME keeps for src/guard/lab-boots.test.ts: the check
# hook's evidence without bash's trace lines and without the full diagnosis inside boot.json (the verdicts stay),
# the setup boot's `guard install` output, systemd-analyze blame/critical-chain, and the nfdoctor journal lines.
set -euo pipefail
tgz=$1 dest=$2
n=$(basename "$tgz" .tar.gz)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
tar -C "$t" -xzf "$tgz"
s=$t/$n c=$t/$n/capture
rm -rf "$dest"; mkdir -p "$dest/pre"
# bash -x trace lines start with "+"; boot.json's "diagnosis" object runs to the next "== " section.
grep -v '^+' "$s/check.log" | awk '
  /^  "diagnosis": \{/ { skip = 1; print "  \"diagnosis\": \"(cut by extract-guard-capture.sh)\""; next }
  /^== / { skip = 0 }
  !skip' > "$dest/check.log"
cp "$s"/pre/pre.{out,err,rc} "$dest/pre/"
cp "$s"/{run-info.txt,is-system-running.txt} "$dest/"
for f in systemd-analyze-blame.txt systemd-analyze-critical-chain.txt systemctl-failed.txt iptables-save.txt; do
  [[ -f $c/$f ]] && head -c 4000 "$c/$f" > "$dest/$f"
done
grep -E 'nfdoctor|Startup finished|netfilter-persistent|network-pre' "$c/journal.short-precise.txt" | head -c 8000 \
  > "$dest/journal.guard.txt" || true
du -sh "$dest"
