# Start/stop throwaway Postgres and Redis servers for the tests (sourced by .ci/run).
# Exports DATABASE_URL-style test variables: FMNIST_TEST_DATABASE_URL, FMNIST_TEST_REDIS_URL.
SVC_DIR=""
PG_BIN=""

start_services() {
  SVC_DIR=$(mktemp -d /tmp/fmnist-ci.XXXXXX)
  chmod 755 "$SVC_DIR"
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$SVC_DIR/pg" "$SVC_DIR/pgrun"
  chown postgres:postgres "$SVC_DIR/pg" "$SVC_DIR/pgrun"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$SVC_DIR/pg" -A trust -U postgres >/dev/null
  if ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$SVC_DIR/pg" -l "$SVC_DIR/pgrun/pg.log" -w \
    -o "-p 55432 -k $SVC_DIR/pgrun -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null; then
    cat "$SVC_DIR/pgrun/pg.log" >&2
    return 1
  fi
  runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p 55432 fmnist_test
  export FMNIST_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:55432/fmnist_test"
  export FMNIST_TEST_PG_CTL="$PG_BIN/pg_ctl" FMNIST_TEST_PG_DATA="$SVC_DIR/pg"
  redis-server --port 56379 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$SVC_DIR/redis.pid" --logfile "$SVC_DIR/redis.log"
  export FMNIST_TEST_REDIS_URL="redis://127.0.0.1:56379"
  echo "services: postgres on 127.0.0.1:55432, redis on 127.0.0.1:56379"
}

stop_services() {
  [ -n "$SVC_DIR" ] || return 0
  [ -f "$SVC_DIR/redis.pid" ] && kill "$(cat "$SVC_DIR/redis.pid")" 2>/dev/null
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$SVC_DIR/pg" -m fast stop >/dev/null 2>&1
  rm -rf "$SVC_DIR"
}
