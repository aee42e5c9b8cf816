#!/usr/bin/env bash
# Builds pgvector for the machine's PostgreSQL from Debian's own source package (Debian 12 ships
# no binary package for it). Skips everything when the extension is already installed.
set -euo pipefail
PG_MAJOR="${PG_MAJOR:-15}"
sharedir="$(/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/${PG_MAJOR})"
if [ -f "${sharedir}/extension/vector.control" ]; then
  echo "pgvector: already installed for PostgreSQL ${PG_MAJOR}"
  exit 0
fi
echo "pgvector: building from Debian's source package"
if ! grep -rqs 'trixie' /etc/apt/sources.list.d/qdc-deb-src.list; then
  echo "deb-src http://deb.debian.org/debian trixie main" > /etc/apt/sources.list.d/qdc-deb-src.list
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-${PG_MAJOR}" make gcc dpkg-dev >/dev/null
work="$(mktemp -d)"
(
  cd "$work"
  apt-get source -qq pgvector >/dev/null
  cd pgvector-*/
  make -s PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" >/dev/null
  make -s install PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" >/dev/null
)
rm -rf "$work"
echo "pgvector: installed"
