#!/usr/bin/env bash
# Shared helpers for pagelab's set-up scripts: sourced, never run.
# Every helper is idempotent and writes only below the project's git-ignored .deps/ folder.

PAGELAB_ROOT="${PAGELAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PAGELAB_DEPS="$PAGELAB_ROOT/.deps"

die() {
  echo "pagelab set-up: $*" >&2
  exit 1
}

# java_feature_version JAVA_BIN -> prints the feature release (17, 25, ...) or nothing.
java_feature_version() {
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

# find_jdk25 -> prints a JAVA_HOME whose java and javac are release 25 or newer.
# Order: $PAGELAB_JAVA_HOME, $JAVA_HOME, then every JDK under /usr/lib/jvm and /opt/java.
find_jdk25() {
  local candidate v
  for candidate in "${PAGELAB_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    v=$(java_feature_version "$candidate/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

require_jdk25() {
  find_jdk25 || die "no JDK 25 or newer found (looked at \$PAGELAB_JAVA_HOME, \$JAVA_HOME, /usr/lib/jvm/*, /opt/java/*).
Install one (Debian: a Temurin 25 JDK, or openjdk-25-jdk) or point PAGELAB_JAVA_HOME at it."
}

# debian_mirror -> the first Debian archive URI of this system's apt configuration (not security).
debian_mirror() {
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}' || true
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | sed 's/\[[^]]*\]//' | awk '{print $2}' || true
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1 || true
}
