#!/usr/bin/env bash
# Stop the CI WordPress's PHP server and MariaDB, by the PIDs setup.sh wrote.
set -euo pipefail
STATE="${WP_STATE_DIR:-/tmp/aggregator-wordpress}"

stop() {
    local pidfile="$STATE/$1.pid" pid i
    [[ -f $pidfile ]] || return 0
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        # setup.sh started each server in its own process group (setsid): PHP's workers go too.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$pidfile"
}

stop php
stop mariadb
# The site config setup.sh wrote for this state dir goes too.
config=/etc/wordpress/config-127.0.0.1.php
if [[ -f $config ]] && grep -q "aggregator tests" "$config" && grep -q "$STATE" "$config"; then
    rm -f "$config"
fi
