#!/bin/bash
# guard-healthy: the lab's healthy scenario unchanged (its own setup and check hooks), with the boot guard's
# evidence recorded first on the broken boot and `nfdoctor guard release` after it (guard-check.sh).
# Run with NFLAB_NFDOCTOR=dist/nfdoctor.cjs NFLAB_PRE="guard install --fail-closed --allow 10.0.2.0/24:22 ...".
# nflab-data: scenarios/healthy.sh
# nflab-data: guard-check.sh
set -u
case ${1:-} in
setup) bash ./healthy.sh setup ;;
check)
  . ./guard-check.sh
  guard_evidence
  guard_release
  echo; echo "== the scenario's own check"
  bash ./healthy.sh check
  ;;
esac
