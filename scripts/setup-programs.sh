#!/usr/bin/env bash
# Makes the third-party programs pagelab's tests compare against native runs available under
# .deps/programs, idempotently:
#   .deps/programs/bin/busybox    Debian's busybox-static (a static x86-64 ELF)
#   .deps/programs/bin/musl-gcc   a musl-gcc wrapper (Debian's musl, musl-dev, musl-tools)
# A system busybox-static / musl-gcc is used when present. Otherwise Debian trixie's binary
# packages are downloaded with apt using a private sources list and lists folder (the mirror is
# read from this system's apt configuration) and unpacked with dpkg-deb; musl-gcc's specs file
# is rewritten to point into .deps. Nothing system-wide is changed.
# Prints the bin folder on success.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="$PAGELAB_DEPS/programs"
STAMP="$DEST/.complete"
PACKAGES=(busybox-static musl musl-dev musl-tools)
mkdir -p "$PAGELAB_DEPS"

already_done() {
  [ -f "$STAMP" ] && [ -x "$DEST/bin/busybox" ] && [ -x "$DEST/bin/musl-gcc" ]
}

# debian_mirror -> the first Debian archive URI of this system's apt configuration (not security).
debian_mirror() {
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}' || true
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | sed 's/\[[^]]*\]//' | awk '{print $2}' || true
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true
}

download_packages() {
  command -v apt-get >/dev/null || die "busybox-static/musl-tools are missing and apt-get is not available to fetch them"
  local mirror work keyring
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; cannot download ${PACKAGES[*]}"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring is missing; cannot verify Debian packages"
  work="$PAGELAB_DEPS/apt-programs"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=$keyring] $mirror trixie main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  echo "pagelab set-up: downloading ${PACKAGES[*]} (Debian trixie packages) into $DEST" >&2
  apt-get "${opts[@]}" update >&2 || die "apt-get update against the trixie suite failed"
  (cd "$work/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download "${PACKAGES[@]}" >&2) \
    || die "apt-get download ${PACKAGES[*]} failed"
  rm -rf "$work/root" && mkdir -p "$work/root"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  rm -rf "$DEST" && mkdir -p "$DEST/bin"
  cp -a "$work/root/bin/busybox" "$DEST/bin/busybox" 2>/dev/null || cp -a "$work/root/usr/bin/busybox" "$DEST/bin/busybox"
  local triple=x86_64-linux-musl
  mkdir -p "$DEST/musl"
  cp -a "$work/root/usr/lib/$triple" "$DEST/musl/lib"
  cp -a "$work/root/usr/include/$triple" "$DEST/musl/include"
  [ -f "$DEST/musl/lib/musl-gcc.specs" ] || die "musl-gcc.specs not found in musl-tools"
  local real
  real=$(cd "$DEST" && pwd -P) # .deps may be a symlink shared by several work trees
  sed -i -e "s|/usr/lib/$triple|$real/musl/lib|g" -e "s|/usr/include/$triple|$real/musl/include|g" \
      -e "s|/lib/ld-musl-x86_64.so.1|$real/musl/lib/libc.so|g" "$DEST/musl/lib/musl-gcc.specs"
  write_musl_gcc "$real/musl/lib/musl-gcc.specs"
  "$DEST/bin/busybox" true || die "the downloaded busybox does not run"
  echo "trixie" > "$STAMP"
}

# write_musl_gcc SPECS: the wrapper musl-tools installs, pointing at our specs file.
write_musl_gcc() {
  cat > "$DEST/bin/musl-gcc" <<SH
#!/bin/sh
exec "\${REALGCC:-gcc}" "\$@" -specs "$1"
SH
  chmod +x "$DEST/bin/musl-gcc"
}

use_system_programs() {
  local bb mg
  bb=$(command -v busybox || true)
  mg=$(command -v musl-gcc || true)
  [ -n "$bb" ] && [ -n "$mg" ] && file -L "$bb" 2>/dev/null | grep -q 'statically linked' || return 1
  mkdir -p "$DEST/bin"
  ln -sfn "$bb" "$DEST/bin/busybox"
  ln -sfn "$mg" "$DEST/bin/musl-gcc"
  echo "system" > "$STAMP"
}

main() {
  exec 9>"$PAGELAB_DEPS/programs.lock"
  flock 9
  if ! already_done; then
    use_system_programs || download_packages
  fi
  echo "$DEST/bin"
}

main "$@"
