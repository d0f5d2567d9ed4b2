#!/usr/bin/env bash
# Regenerates fixtures/kernels/** from real Debian kernel packages: downloads them with
# `apt-get download`, extracts with `dpkg-deb -x`, runs `depmod -b` and copies ONLY the text metadata
# (modules.dep/alias/softdep/builtin/builtin.modinfo/order + the kernel config). Netfilter module
# files are recreated as EMPTY stubs so "is the module file present" can be tested without any .ko.
#
# Usage: scripts/fetch-kernel-metadata.sh            (idempotent: each fixture dir is rebuilt from scratch)
# Env:   NFDOCTOR_KMETA_WORK=DIR  keep downloads/extractions in DIR (default: a temp dir, removed on exit)
#        NFDOCTOR_KMETA_MAX_KB=N  size budget for fixtures/kernels (default 8192); above it the generic
#                                 kernel's non-netfilter device aliases are dropped
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/fixtures/kernels"
MAX_KB=${NFDOCTOR_KMETA_MAX_KB:-8192}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

if [[ -n "${NFDOCTOR_KMETA_WORK:-}" ]]; then
  WORK=$NFDOCTOR_KMETA_WORK
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d -t nfdoctor-kmeta.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi

log() { printf '%s\n' "$*" >&2; }
die() { log "fetch-kernel-metadata: $*"; exit 1; }

ensure_tools() {
  local missing=()
  command -v apt-get >/dev/null || die "apt-get not found (this script needs a Debian/Ubuntu host)"
  command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
  command -v depmod >/dev/null || [[ -x /sbin/depmod ]] || missing+=(kmod)
  command -v sha256sum >/dev/null || missing+=(coreutils)
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
  [[ -r $KEYRING ]] || die "$KEYRING missing (install debian-archive-keyring)"
}

DEPMOD=$(command -v depmod || echo /sbin/depmod)

# The host's own apt sources (bookworm + bookworm-security on this project's build machine).
APT_HOST=()

# The Debian mirror this machine's own apt sources name (deb822 .sources first, then one-line sources.list):
# no archive address is written into the project.
host_mirror() {
  local uri
  uri=$(awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  if [[ -z $uri ]]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
  fi
  [[ -n $uri ]] || die "no Debian mirror found in /etc/apt/sources.list.d/*.sources or sources.list"
  printf '%s\n' "${uri%/}"
}

# A private apt configuration for trixie: the host has no trixie sources and must not get any.
APT_TRIXIE=()
TRIXIE_MIRROR=""
setup_trixie_apt() {
  local d="$WORK/apt-trixie"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  local trust="signed-by=$KEYRING"
  if [[ ${NFDOCTOR_KMETA_TRIXIE_TRUSTED:-0} == 1 ]]; then
    trust="trusted=yes"
  fi
  TRIXIE_MIRROR=$(host_mirror)
  printf 'deb [%s] %s trixie main\n' "$trust" "$TRIXIE_MIRROR" >"$d/sources.list"
  APT_TRIXIE=(
    -o "Dir::Etc::sourcelist=$d/sources.list"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$d/lists"
    -o "Dir::Cache=$d/cache"
    -o "APT::Get::List-Cleanup=0"
  )
  apt-get "${APT_TRIXIE[@]}" update -qq || die "apt-get update for trixie failed (see above)"
}

# apt-get download <pkg> into $2, prints the path of the .deb.
download() {
  local pkg=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  # apt drops privileges to _apt for downloads; let it write here instead of warning "unsandboxed".
  if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chmod 755 "$WORK" && chown _apt "$dir"
  fi
  (cd "$dir" && apt-get "$@" download -qq "$pkg" >&2) || die "apt-get download $pkg failed"
  local deb
  deb=$(ls -t "$dir"/"${pkg%%=*}"_*.deb 2>/dev/null | head -n1)
  [[ -n $deb ]] || die "downloaded $pkg but no .deb found in $dir"
  printf '%s\n' "$deb"
}

# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)" -> linux-image-6.1.0-56-amd64
image_of_meta() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/^ +//; s/ .*//' | grep -E '^linux-image-[0-9]' | head -n1
}

README_ROWS=()
SUMMARY=()

# fetch <label> <metapackage> <apt options...>
fetch() {
  local label=$1 meta=$2
  shift 2
  local dl="$WORK/debs/$label"
  local meta_deb image image_deb
  meta_deb=$(download "$meta" "$dl" "$@")
  image=$(image_of_meta "$meta_deb")
  [[ -n $image ]] || die "$meta: no linux-image-<abi> dependency in $(basename "$meta_deb")"
  image_deb=$(download "$image" "$dl" "$@")

  local version sha root suite
  version=$(dpkg-deb -f "$image_deb" Version)
  # "   pkg | 6.1.192-2 | MIRROR/debian-security bookworm-security/main amd64 Packages"
  suite=$(apt-cache "$@" madison "$image" | awk -F'|' -v v="$version" '{ gsub(/ /, "", $2) } $2 == v { split($3, a, " "); sub("/.*", "", a[2]); print a[2]; exit }')
  sha=$(sha256sum "$image_deb" | cut -d' ' -f1)
  log "$(basename "$image_deb")  sha256 $sha"
  printf 'sha256  %s  %s\n' "$sha" "$(basename "$image_deb")"

  root="$WORK/root/$image"
  rm -rf "$root"
  mkdir -p "$root"
  dpkg-deb -x "$image_deb" "$root"
  # trixie packages install to usr/lib/modules (merged /usr); depmod -b reads <root>/lib/modules.
  if [[ ! -d $root/lib/modules && -d $root/usr/lib/modules ]]; then
    mkdir -p "$root/lib"
    ln -s ../usr/lib/modules "$root/lib/modules"
  fi
  local release
  release=$(ls "$root/lib/modules/" | head -n1)
  [[ -n $release ]] || die "$image: no lib/modules/<release> in the package"
  "$DEPMOD" -b "$root" "$release"

  local src="$root/lib/modules/$release" dst="$OUT/$release"
  rm -rf "$dst"
  mkdir -p "$dst"
  local f
  for f in modules.dep modules.alias modules.softdep modules.builtin modules.builtin.modinfo modules.order; do
    [[ -f $src/$f ]] || die "$release: $f missing after depmod"
    cp "$src/$f" "$dst/$f"
  done
  local config
  for config in "$root/boot/config-$release" "$root/usr/lib/linux-image-$release/config"; do
    [[ -f $config ]] && break
  done
  [[ -f $config ]] || die "$release: boot/config-$release not in the package"
  cp "$config" "$dst/config-$release"

  # Empty stubs for netfilter modules and everything they depend on (libcrc32c, bridge ...), and for the
  # text search algorithms xt_string requests (lib/ts_*.ko: request_module("ts_%s"), lib/textsearch.c),
  # never a real .ko.
  local stubs=0 path
  while IFS= read -r path; do
    mkdir -p "$dst/$(dirname "$path")"
    : >"$dst/$path"
    stubs=$((stubs + 1))
  done < <(grep -E '^kernel/(net/[^:]*netfilter[^:]*|lib/ts_[a-z0-9_]+\.ko[^:]*):' "$src/modules.dep" | tr -d ':' | tr ' ' '\n' | grep -v '^$' | sort -u)

  README_ROWS+=("| \`$release\` | \`$image\` | $version | \`$meta\` | ${suite:-$label} | \`$sha\` | $stubs |")
  SUMMARY+=("$label $release $image $version $sha")
}

# Drops non-netfilter device aliases (pci:, usb:, ...) from one modules.alias; prints removed count.
trim_device_aliases() {
  local f=$1 before after
  before=$(wc -l <"$f")
  awk '!/^alias [a-z0-9]+:/ || $3 ~ /^(nf|nft|xt|ipt|ip6t|arpt|ebt|ip_set|ip_vs|nfnetlink|x_tables|ip_tables|ip6_tables|arp_tables|ebtable|iptable|ip6table|arptable|br_netfilter)/' "$f" >"$f.tmp"
  mv "$f.tmp" "$f"
  after=$(wc -l <"$f")
  echo $((before - after))
}

write_readme() {
  local trimmed_note=$1 trixie_note=$2
  {
    cat <<'EOF'
# Kernel metadata fixtures (generated, do not edit)

Regenerate everything with `scripts/fetch-kernel-metadata.sh` (needs a Debian host with apt, dpkg-deb
and kmod; never installs a kernel, never loads a module). One directory per kernel release, named after
the real `uname -r` of that kernel (the directory name under `lib/modules/` in the package).

Each directory holds, byte for byte:

* `modules.dep`, `modules.alias`, `modules.softdep` — written by `depmod -b <root> <release>` (the host's
  kmod, see below) over the package contents, exactly as a Debian postinst would create them;
* `modules.builtin`, `modules.builtin.modinfo`, `modules.order` — shipped in the package;
* `config-<release>` — the package's `boot/config-<release>`.

Not copied on purpose: the `.bin` indexes, `modules.symbols`, `modules.devname`, every real module.

**The `.ko` / `.ko.xz` files under `kernel/` are EMPTY stubs**, created only for netfilter modules
(module paths under `kernel/net/` that contain `netfilter`: net/netfilter incl. ipset and ipvs,
ipv4/netfilter, ipv6/netfilter, bridge/netfilter, bridge/br_netfilter: 244 per kernel), for the text
search algorithms xt_string loads (lib/ts_bm, ts_kmp, ts_fsm) and for the
modules their `modules.dep` lines depend on (libcrc32c, bridge, stp, llc), so tests can ask "is the
module file present". They contain no code; do not try to load or modinfo them.

| release | package | version | via metapackage | suite | sha256 of the .deb | stub files |
|---|---|---|---|---|---|---|
EOF
    printf '%s\n' "${README_ROWS[@]}"
    echo
    echo "depmod used: \`$("$DEPMOD" --version 2>&1 | head -n1)\` ($(dpkg-query -W -f='kmod ${Version}' kmod 2>/dev/null || echo 'kmod'))."
    echo "A trixie host runs a newer depmod (kmod 34), which also writes modules.weakdep; the older depmod used"
    echo "here does not, so no modules.weakdep fixture exists."
    echo
    printf '%s\n' "$trixie_note"
    if [[ -n $trimmed_note ]]; then
      echo
      printf '%s\n' "$trimmed_note"
    fi
  } >"$OUT/README.md"
}

main() {
  ensure_tools
  mkdir -p "$OUT"
  if ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
    apt-get update -qq
  fi

  fetch bookworm linux-image-amd64 "${APT_HOST[@]}"
  local generic_release=${SUMMARY[0]#* }
  generic_release=${generic_release%% *}
  fetch bookworm linux-image-cloud-amd64 "${APT_HOST[@]}"

  local trixie_note
  setup_trixie_apt
  fetch trixie linux-image-cloud-amd64 "${APT_TRIXIE[@]}"
  if [[ ${NFDOCTOR_KMETA_TRIXIE_TRUSTED:-0} == 1 ]]; then
    trixie_note="trixie was fetched with \`[trusted=yes]\` (signature NOT verified): the keyring lacked the trixie key."
  else
    trixie_note="trixie was fetched through a private apt configuration (\`deb [signed-by=$KEYRING] <the host's own mirror> trixie main\`, separate lists and cache dirs; the host's sources are untouched); signatures verified with debian-archive-keyring. Its modules are \`.ko.xz\`, so its stubs are too."
  fi

  local trimmed_note="" kb
  kb=$(du -sk "$OUT" | cut -f1)
  if ((kb > MAX_KB)); then
    local removed
    removed=$(trim_device_aliases "$OUT/$generic_release/modules.alias")
    trimmed_note="**Trimmed:** fixtures exceeded ${MAX_KB} KB, so $removed device alias lines (\`pci:\`, \`usb:\`, \`acpi*:\`, ... of non-netfilter modules) were dropped from \`$generic_release/modules.alias\` only. All other files, and the other kernels' modules.alias, are complete."
  fi

  write_readme "$trimmed_note" "$trixie_note"
  log "fixtures: $(du -sh "$OUT" | cut -f1) in $OUT"
  printf '%s\n' "${SUMMARY[@]}"
}

main "$@"
