#!/usr/bin/env bash
# Run a command with a real Redis server up, then stop it.
#
#   tests/redis/with-redis.sh make test
#
# Installs the Debian package redis-server when it is missing (as root), starts
# a private server on 127.0.0.1 (port REDIS_TEST_PORT, default 6399; no
# persistence, a temporary working directory), exports
# AGGREGATOR_TEST_REDIS_URL for tests/test_distributed.py, runs the command,
# and stops the server on exit, keeping the command's exit status.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # The package starts a system service on 6379; the tests use their own server.
    (service redis-server stop || true) >/dev/null 2>&1
fi

port="${REDIS_TEST_PORT:-6399}"
workdir="$(mktemp -d "${TMPDIR:-/tmp}/aggregator-redis.XXXXXX")"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$workdir" \
    --logfile "$workdir/redis.log" --daemonize no &
redis_pid=$!

cleanup() {
    local status=$?
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    rm -rf "$workdir"
    exit "$status"
}
trap cleanup EXIT

for _ in $(seq 1 50); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
        break
    fi
    sleep 0.1
done
if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "redis-server did not start on 127.0.0.1:$port:" >&2
    cat "$workdir/redis.log" >&2 || true
    exit 1
fi
export AGGREGATOR_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
echo "Redis up at $AGGREGATOR_TEST_REDIS_URL ($(redis-server --version | awk '{print $3}'))"

"$@"
