# Shared by scripts/start and scripts/test: install what is missing, start a private PostgreSQL.
# Sourced, not run. Honours DATABASE_URL: when it is set, no local server is started.

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
# libclang-dev: proj-sys runs bindgen at build time, which loads libclang.
DEB_PACKAGES=(
  "postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3" postgresql-client
  libgdal-dev gdal-bin libproj-dev proj-bin libclang-dev pkg-config build-essential bc pgbackrest
)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_packages [EXTRA_PACKAGE...]: apt-get installs whatever is not installed yet.
ensure_packages() {
  local missing=() p
  for p in "${DEB_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ensure_test_clients: Node.js, Chromium and Python venv support (when the machine has none) and the
# independent clients the tests drive: QGIS (python3-qgis), tests/js (an MVT decoder, the PMTiles reader, the MapLibre
# style validator; pinned by package-lock.json) and tests/py (OWSLib and the ogctests verifier;
# pinned by requirements.txt).
ensure_test_clients() {
  command -v npm >/dev/null || ensure_packages nodejs npm
  # The web map's end-to-end tests drive Debian's Chromium (Playwright cannot download one here).
  [ -x /usr/bin/chromium ] || ensure_packages chromium
  python3 -c 'import venv, ensurepip' 2>/dev/null || ensure_packages python3-venv
  # QGIS 3.22's own WFS and OGC API providers, driven headless from Debian's python3.
  if ! dpkg-query -W -f='${Status}' python3-qgis 2>/dev/null | grep -q 'install ok installed'; then
    echo "== installing python3-qgis"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-qgis >/dev/null
  fi
  if [ ! -x tests/py/.venv/bin/python ] || [ tests/py/requirements.txt -nt tests/py/.venv ]; then
    echo "== installing the Python test clients in tests/py/.venv"
    python3 -m venv tests/py/.venv
    tests/py/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt
    touch tests/py/.venv
  fi
  if [ ! -d tests/js/node_modules ] || [ tests/js/package-lock.json -nt tests/js/node_modules ]; then
    echo "== installing the test clients in tests/js"
    (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# pg_cluster: sets PGDATA, the private cluster's directory (DIACHINH_PGDATA to choose another).
pg_cluster() {
  if [ "$(id -u)" = 0 ]; then
    PGDATA=${DIACHINH_PGDATA:-/var/lib/postgresql/diachinh-$PG_VERSION}
  else
    PGDATA=${DIACHINH_PGDATA:-${XDG_STATE_HOME:-$HOME/.local/state}/diachinh/pg$PG_VERSION}
  fi
}

# stop_postgres: stops the private cluster (fast shutdown: sessions are ended, as in a restart).
stop_postgres() {
  local run=()
  pg_cluster
  [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
}

# own_pgdata: makes $PGDATA (mode 700) belong to whoever runs the server, and sets RUN_AS to what
# runs a command as them (initdb and the server refuse root: as root, the postgres user).
own_pgdata() {
  RUN_AS=()
  if [ "$(id -u)" = 0 ]; then
    RUN_AS=(runuser -u postgres --)
    mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  else
    mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  fi
}

# start_replica PRIMARY_PORT: a streaming read replica (hot standby) of the cluster on
# 127.0.0.1:PRIMARY_PORT, made by pg_basebackup -R in DIACHINH_PGDATA and started on
# DIACHINH_PGPORT. What `serve --replica` takes in production is made the same way.
start_replica() {
  local port=${DIACHINH_PGPORT:?the port of the replica}
  pg_cluster
  own_pgdata
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    "${RUN_AS[@]}" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$1" -U postgres -D "$PGDATA" -R -X stream -c fast
  fi
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
    -o "-p $port -k $PGDATA -c listen_addresses=127.0.0.1 -c max_connections=300 -c hot_standby=on" start >/dev/null
}

# start_postgres: a private cluster on 127.0.0.1:${DIACHINH_PGPORT:-55432} (server options added
# from DIACHINH_PG_OPTS), apart from any
# PostgreSQL that already listens. initdb refuses root, so as root the cluster belongs to `postgres`.
# Sets PG_SERVER_URL (no database name). Trust authentication on loopback: a development server.
start_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    PG_SERVER_URL=${DATABASE_URL%/*}
    echo "== using the PostgreSQL server of DATABASE_URL"
    return
  fi
  local port=${DIACHINH_PGPORT:-55432}
  pg_cluster
  own_pgdata
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "== creating a PostgreSQL $PG_VERSION cluster in $PGDATA"
    "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    echo "== starting PostgreSQL on 127.0.0.1:$port"
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
      -o "-p $port -k $PGDATA -c listen_addresses=127.0.0.1 -c max_connections=300 ${DIACHINH_PG_OPTS:-}" start >/dev/null
  fi
  PG_SERVER_URL="postgres://postgres@127.0.0.1:$port"
}

# ensure_database NAME: creates it if missing and exports DATABASE_URL for it.
ensure_database() {
  if [ -z "${DATABASE_URL:-}" ]; then
    if ! psql -X "$PG_SERVER_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; then
      psql -X -q "$PG_SERVER_URL/postgres" -c "CREATE DATABASE \"$1\""
    fi
    export DATABASE_URL="$PG_SERVER_URL/$1"
  fi
}

# fresh_database NAME: drops and recreates it on the server; prints its URL.
fresh_database() {
  psql -X -q "$PG_SERVER_URL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\"" >/dev/null
  echo "$PG_SERVER_URL/$1"
}

# seconds_since START: wall time elapsed since START (from `date +%s.%N`).
seconds_since() {
  echo "$(date +%s.%N) - $1" | bc -l | xargs printf '%.2f'
}

# conninfo URL: the libpq key=value form of postgres://user[:password]@host[:port]/db, which
# GDAL's PG: driver needs (it appends options of its own to the string).
conninfo() {
  local rest=${1#*://} auth hostport db
  auth=${rest%%@*}; rest=${rest#*@}; hostport=${rest%%/*}; db=${rest#*/}
  local out="host=${hostport%%:*} dbname=$db user=${auth%%:*}"
  [[ $hostport == *:* ]] && out+=" port=${hostport##*:}"
  [[ $auth == *:* ]] && out+=" password=${auth#*:}"
  echo "$out"
}

# bench_account BIN DATABASE_URL BASE_URL: makes a `viewer` account for benchmarks, changes its
# initial password through the running server, and prints the Authorization header value that
# signs in as it (every request it makes is then a chained audit entry).
bench_account() {
  local bin=$1 url=$2 base=$3 initial="Measure-initial 2026!" password="Measure-signed-in 2026!"
  printf '%s\n' "$initial" | DATABASE_URL=$url $bin accounts add bench --name "Bench" \
    --personal-id 009999999999 --org "bench" --role viewer >/dev/null || return 1
  curl -sf -o /dev/null -u "bench:$initial" -H 'content-type: application/json' \
    -d "{\"current\": \"$initial\", \"new\": \"$password\"}" "$base/api/me/password" || return 1
  echo "Basic $(printf 'bench:%s' "$password" | base64 -w0)"
}

# median: the median of the numbers on standard input, one per line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# audit_rounds WHAT RUN_ARGS...: what the audit trail costs. Runs the caller's `run RUN_ARGS...`
# anonymous and then signed in (Basic credentials in $auth, so every request is an audited
# access), taking turns AUDIT_ROUNDS times (default 3: this VM's throughput drifts by more than
# the 10% budget from one run to the next), and prints each round's figures and the median of
# the rounds' shares of anonymous requests/s. Each run lasts AUDIT_SECONDS (default 10).
audit_rounds() {
  local what=$1 shares=() a s a_rps a_p99 s_rps s_p99 share duration=${AUDIT_SECONDS:-10}
  shift
  for ((round = 1; round <= ${AUDIT_ROUNDS:-3}; round++)); do
    a=$(run "$@") && s=$(run "$@" -H "Authorization: $auth") || return 1
    read -r a_rps _ a_p99 <<<"$a"
    read -r s_rps _ s_p99 <<<"$s"
    share=$(echo "100 * $s_rps / $a_rps" | bc -l)
    shares+=("$share")
    printf '%s audit round %d: anonymous %s requests/s (p99 %s ms), signed in %s requests/s (p99 %s ms): %.1f%%\n' \
      "$what" "$round" "$a_rps" "$a_p99" "$s_rps" "$s_p99" "$share"
  done
  printf '%s audit cost: signed in (every request audited) serves %.1f%% of anonymous requests/s (median of %d rounds)\n' \
    "$what" "$(printf '%s\n' "${shares[@]}" | median)" "${#shares[@]}"
}
