# Sourced by ./mvnw and ./demo: points JAVA_HOME at a JDK 25 or newer, or stops with what to install.
# Order: $MEMSYNC_JAVA_HOME, then $JAVA_HOME, then every JDK under $MEMSYNC_JDK_ROOT (default /usr/lib/jvm),
# then `java` on the PATH.

memsync_jdk_major() {
  # Prints the feature release of the JDK at $1 (reads its `release` file; no JVM is started).
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || return 1
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}

memsync_select_jdk() {
  memsync_tried=""
  # mvnw runs with `set -f`; the /usr/lib/jvm globs below need globbing.
  case "$-" in *f*) memsync_noglob=1; set +f ;; *) memsync_noglob=0 ;; esac
  memsync_root="${MEMSYNC_JDK_ROOT:-/usr/lib/jvm}"
  for memsync_candidate in "${MEMSYNC_JAVA_HOME-}" "${JAVA_HOME-}" "$memsync_root"/*25* "$memsync_root"/* \
      "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$memsync_candidate" ] && [ -d "$memsync_candidate" ] || continue
    memsync_major="$(memsync_jdk_major "$memsync_candidate" || true)"
    memsync_tried="$memsync_tried
    $memsync_candidate (${memsync_major:-not a JDK})"
    if [ -n "$memsync_major" ] && [ "$memsync_major" -ge 25 ]; then
      JAVA_HOME="$memsync_candidate"
      export JAVA_HOME
      [ "$memsync_noglob" = 0 ] || set -f
      return 0
    fi
  done
  [ "$memsync_noglob" = 0 ] || set -f
  cat >&2 <<MSG
memsync: no JDK 25 found. memsync needs Java 25 or newer (Panama FFM, userfaultfd bindings).
Looked at:$memsync_tried
Install one, for example Eclipse Temurin 25 (Debian/Ubuntu package temurin-25-jdk from the Adoptium
repository, which installs under /usr/lib/jvm), or point MEMSYNC_JAVA_HOME (or JAVA_HOME) at a JDK 25.
MSG
  return 1
}

memsync_select_jdk || exit 1
