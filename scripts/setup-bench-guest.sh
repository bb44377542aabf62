#!/usr/bin/env bash
# Makes the reference programs of `pagelab bench guest` available under .deps/bench-guest,
# idempotently:
#   .deps/bench-guest/busybox        Debian's busybox-static (a static x86-64 glibc program)
#   .deps/bench-guest/qemu-x86_64    Debian's qemu-user-static (qemu-user, statically linked)
# Both are Debian binary packages of this system's own release, downloaded with apt using a private
# sources list and lists folder (the mirror is read from this system's apt configuration) and
# unpacked with dpkg-deb; nothing system-wide changes. Usage: setup-bench-guest.sh [--no-qemu]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="$PAGELAB_DEPS/bench-guest"
WANT_QEMU=1
[ "${1:-}" = "--no-qemu" ] && WANT_QEMU=0

# debian_mirror -> the first Debian archive URI of this system's apt configuration (not security).
debian_mirror() {
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}' || true
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | sed 's/\[[^]]*\]//' | awk '{print $2}' || true
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true
}

# fetch PACKAGE FILE-IN-PACKAGE NAME -> unpacks FILE-IN-PACKAGE of PACKAGE to $DEST/NAME.
fetch() {
  local package=$1 inner=$2 name=$3 work=$PAGELAB_DEPS/apt-bench
  [ -x "$DEST/$name" ] && return 0
  command -v apt-get >/dev/null || die "apt-get is needed to download $package"
  local mirror suite keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mirror=$(debian_mirror)
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$mirror" ] && [ -n "$suite" ] || die "no Debian mirror or release name found; cannot download $package"
  [ -f "$keyring" ] || die "$keyring is missing; cannot verify Debian packages"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$DEST"
  echo "deb [signed-by=$keyring] $mirror $suite main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  if [ ! -f "$work/.updated" ]; then
    apt-get "${opts[@]}" update >&2 || die "apt-get update against $suite failed"
    touch "$work/.updated"
  fi
  echo "pagelab set-up: downloading $package ($suite) into $DEST" >&2
  (cd "$work/debs" && rm -f ./"$package"_*.deb && apt-get "${opts[@]}" download "$package" >&2) \
    || die "apt-get download $package failed"
  rm -rf "$work/root" && mkdir -p "$work/root"
  dpkg-deb -x "$work"/debs/"$package"_*.deb "$work/root"
  [ -x "$work/root/$inner" ] || die "$package has no $inner"
  cp "$work/root/$inner" "$DEST/$name.tmp" && mv "$DEST/$name.tmp" "$DEST/$name"
  rm -rf "$work/root" "$work"/debs/"$package"_*.deb
}

main() {
  mkdir -p "$PAGELAB_DEPS"
  exec 9>"$PAGELAB_DEPS/bench-guest.lock"
  flock 9
  fetch busybox-static bin/busybox busybox
  if [ "$WANT_QEMU" = 1 ]; then
    fetch qemu-user-static usr/bin/qemu-x86_64-static qemu-x86_64
  fi
  ls "$DEST"
}

main "$@"
