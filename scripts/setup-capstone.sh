#!/usr/bin/env bash
# Makes libcapstone 5 (the disassembler behind `pagelab run --trace`) available as
# .deps/capstone/lib/libcapstone.so.5, idempotently.
# A system libcapstone.so.5 is used if ldconfig knows one. Otherwise Debian trixie's libcapstone5
# binary package is downloaded with apt, using a private sources list and lists folder (the mirror
# is read from this system's apt configuration), and unpacked. Nothing system-wide is changed.
# The Java side loads the library through FFM, as it does libunicorn: no headers are needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="$PAGELAB_DEPS/capstone"
STAMP="$DEST/.complete"
mkdir -p "$PAGELAB_DEPS"

already_done() {
  [ -f "$STAMP" ] && [ -e "$DEST/lib/libcapstone.so.5" ]
}

use_system_capstone() {
  local lib
  lib=$(/sbin/ldconfig -p 2>/dev/null | awk '/libcapstone\.so\.5 .*x86-64/ {print $NF; exit}')
  [ -n "$lib" ] || return 1
  mkdir -p "$DEST/lib"
  ln -sfn "$lib" "$DEST/lib/libcapstone.so.5"
  echo "system" > "$STAMP"
}

# debian_mirror -> the first Debian archive URI of this system's apt configuration (not security).
debian_mirror() {
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}' || true
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | sed 's/\[[^]]*\]//' | awk '{print $2}' || true
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true
}

download_trixie_package() {
  command -v apt-get >/dev/null || die "libcapstone 5 is missing and apt-get is not available to fetch it.
Install Debian trixie's libcapstone5 yourself, or unpack it into $DEST."
  local mirror work keyring
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; cannot download libcapstone5"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring is missing; cannot verify Debian packages"
  work="$PAGELAB_DEPS/apt-capstone"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=$keyring] $mirror trixie main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  echo "pagelab set-up: downloading libcapstone 5 (Debian trixie package) into $DEST" >&2
  apt-get "${opts[@]}" update >&2 || die "apt-get update against the trixie suite failed"
  (cd "$work/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download libcapstone5 >&2) \
    || die "apt-get download libcapstone5 failed"
  rm -rf "$work/root" && mkdir -p "$work/root"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  rm -rf "$DEST" && mkdir -p "$DEST/lib"
  cp -a "$work"/root/usr/lib/x86_64-linux-gnu/libcapstone.so.5* "$DEST/lib/"
  [ -e "$DEST/lib/libcapstone.so.5" ] || die "the libcapstone5 package has no libcapstone.so.5"
  echo "trixie" > "$STAMP"
}

main() {
  exec 9>"$PAGELAB_DEPS/capstone.lock"
  flock 9
  if ! already_done; then
    use_system_capstone || download_trixie_package
  fi
  echo "$DEST/lib/libcapstone.so.5"
}

main "$@"
