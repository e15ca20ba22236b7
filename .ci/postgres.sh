# Sourced by .ci/run: a throwaway PostgreSQL server for the store tests, stopped when the run
# ends however it ends (a trap on EXIT). The tests make a database each on it through
# ZOOMBOT_TEST_DATABASE_URL, and with ZOOMBOT_REQUIRE_POSTGRES=1 they fail rather than skip
# when there is no server (tests/it/support/postgres.rs).

# The newest server binaries Debian's packages installed, or initdb's directory on PATH.
pg_bin() {
    local dir found=
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && found="$found$dir"$'\n'
    done
    found=$(printf '%s' "$found" | sort -V | tail -n 1)
    if [ -z "$found" ] && command -v initdb >/dev/null 2>&1; then
        found=$(dirname "$(command -v initdb)")
    fi
    printf '%s' "$found"
}

# Root runs apt-get itself (a container has no sudo); anyone else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

PG_BIN=$(pg_bin)
if [ -z "$PG_BIN" ]; then
    echo "--- installing PostgreSQL (no initdb found)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(pg_bin)
    [ -n "$PG_BIN" ] || { echo "PostgreSQL was installed but no initdb was found" >&2; exit 1; }
fi

# initdb refuses to run as root: as root, the server runs as the postgres user (Debian's package
# makes it; made here if the binaries came without it).
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    PG_USER=postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    PG_USER=$(id -un)
    as_pg() { "$@"; }
fi

# Under /tmp and short: a unix socket's path has at most 107 bytes.
PG_DIR=$(mktemp -d /tmp/zbci-pg.XXXXXX)
mkdir "$PG_DIR/sock"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$PG_DIR"

stop_postgres() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

echo "--- PostgreSQL ($PG_BIN)"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust --no-sync -U "$PG_USER" >/dev/null
# No TCP port (the socket only), and durability off: a test database need not survive a crash.
# Room for the tests' pools side by side.
if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-k $PG_DIR/sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null; then
    cat "$PG_DIR/log" >&2
    exit 1
fi

# The socket directory is the URL's host, percent-encoded (the form tests/it/postgres.rs checks).
export ZOOMBOT_TEST_DATABASE_URL="postgres://$PG_USER@${PG_DIR//\//%2F}%2Fsock/postgres"
export ZOOMBOT_REQUIRE_POSTGRES=1
