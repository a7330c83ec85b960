#!/usr/bin/env bash
# Start a real WordPress news site on 127.0.0.1 for the crawler tests.
#
# Installs (if missing) Debian's wordpress, PHP and MariaDB; starts MariaDB
# (socket only, data in the state dir) and PHP's built-in server with
# router.php; installs WordPress into a fresh database. Running it again gives
# the same fresh, empty site: servers that still run are reused.
# Then run populate.php for the posts, and stop.sh to stop the servers.
#
# Environment: WP_STATE_DIR (default /tmp/aggregator-wordpress), WP_PORT
# (default 8089). Writes $WP_STATE_DIR/env with WORDPRESS_URL=…
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${WP_STATE_DIR:-/tmp/aggregator-wordpress}"
PORT="${WP_PORT:-8089}"
URL="http://127.0.0.1:${PORT}/"
SOCKET="$STATE/run/mysqld.sock"
CONTENT="$STATE/wp-content"
DB_NAME=aggregator_wp
DB_USER=aggregator_wp
DB_PASSWORD=aggregator-ci
PACKAGES=(wordpress wordpress-theme-twentytwentyone php-cli php-mysql php-xml php-mbstring mariadb-server)

log() { printf 'wordpress setup: %s\n' "$*" >&2; }

# A server of ours runs: its PID file names a live process of the expected program
# (a stale file's PID may belong to another process by now).
alive() {
    local pid
    [[ -f "$1" ]] && pid="$(cat "$1")" && kill -0 "$pid" 2>/dev/null &&
        grep -qa -e mariadbd -e php "/proc/$pid/cmdline" 2>/dev/null
}

port_taken() { php -r 'exit(@fsockopen("127.0.0.1", (int) $argv[1]) ? 0 : 1);' "$1"; }

install_packages() {
    local missing=() package
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    [[ ${#missing[@]} -eq 0 ]] && return
    log "installing ${missing[*]}"
    # Package scripts must not start Apache or MariaDB as system services.
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [[ -n $made_policy ]] && rm -f "$policy"
    return 0
}

start_mariadb() {
    mkdir -p "$STATE/run"
    chown mysql:mysql "$STATE/run"
    if [[ ! -d "$STATE/mysql/mysql" ]]; then
        log "initializing MariaDB data in $STATE/mysql"
        mkdir -p "$STATE/mysql"
        chown mysql:mysql "$STATE/mysql"
        mariadb-install-db --no-defaults --user=mysql --datadir="$STATE/mysql" \
            --auth-root-authentication-method=socket --skip-test-db >"$STATE/mariadb-install.log" 2>&1
    fi
    if ! alive "$STATE/mariadb.pid"; then
        log "starting MariaDB (socket $SOCKET, no TCP)"
        setsid mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" --socket="$SOCKET" \
            --pid-file="$STATE/run/mariadbd.pid" --skip-networking --skip-name-resolve \
            --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 \
            --log-error="$STATE/mariadb.log" </dev/null >/dev/null 2>&1 &
        echo $! >"$STATE/mariadb.pid"
    fi
    local i
    for i in $(seq 1 100); do
        mariadb-admin --no-defaults --socket="$SOCKET" -uroot ping >/dev/null 2>&1 && return
        alive "$STATE/mariadb.pid" || break
        sleep 0.2
    done
    log "MariaDB did not start; see $STATE/mariadb.log"
    tail -20 "$STATE/mariadb.log" >&2 || true
    exit 1
}

create_database() {
    mariadb --no-defaults --socket="$SOCKET" -uroot <<SQL
DROP DATABASE IF EXISTS $DB_NAME;
CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON $DB_NAME.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
}

write_config() {
    # WordPress content (theme link, must-use plugin) lives in the state dir,
    # not in the package's /usr/share/wordpress.
    mkdir -p "$CONTENT/themes" "$CONTENT/plugins" "$CONTENT/mu-plugins" "$CONTENT/uploads"
    ln -sfn /usr/share/wordpress/wp-content/themes/twentytwentyone "$CONTENT/themes/twentytwentyone"
    cp "$HERE/offline.php" "$CONTENT/mu-plugins/aggregator-offline.php"
    # Debian's wp-config.php reads /etc/wordpress/config-<Host header without port>.php.
    mkdir -p /etc/wordpress
    cat >/etc/wordpress/config-127.0.0.1.php <<PHP
<?php
// Written by the aggregator tests' tests/wordpress/setup.sh: the CI WordPress.
define('DB_NAME', '$DB_NAME');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', 'localhost:$SOCKET');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', 'http://127.0.0.1:$PORT');
define('WP_SITEURL', 'http://127.0.0.1:$PORT');
define('WP_CONTENT_DIR', '$CONTENT');
define('WP_CONTENT_URL', 'http://127.0.0.1:$PORT/wp-content');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
define('AUTH_KEY', 'aggregator-ci-auth');
define('SECURE_AUTH_KEY', 'aggregator-ci-secure-auth');
define('LOGGED_IN_KEY', 'aggregator-ci-logged-in');
define('NONCE_KEY', 'aggregator-ci-nonce');
define('AUTH_SALT', 'aggregator-ci-auth-salt');
define('SECURE_AUTH_SALT', 'aggregator-ci-secure-auth-salt');
define('LOGGED_IN_SALT', 'aggregator-ci-logged-in-salt');
define('NONCE_SALT', 'aggregator-ci-nonce-salt');
PHP
}

start_php() {
    if ! alive "$STATE/php.pid"; then
        if port_taken "$PORT"; then
            log "port $PORT is in use by another program: set WP_PORT"
            exit 1
        fi
        log "starting PHP's built-in server on $URL"
        AGGREGATOR_WP_CONTENT="$CONTENT" PHP_CLI_SERVER_WORKERS=4 setsid php -S "127.0.0.1:$PORT" \
            -t /usr/share/wordpress "$HERE/router.php" </dev/null >"$STATE/php.log" 2>&1 &
        echo $! >"$STATE/php.pid"
    fi
    local i
    for i in $(seq 1 100); do
        php -r 'exit(@file_get_contents($argv[1]) === false ? 1 : 0);' "$URL" 2>/dev/null && return
        alive "$STATE/php.pid" || break
        sleep 0.2
    done
    log "PHP's server does not answer on $URL; see $STATE/php.log"
    tail -20 "$STATE/php.log" >&2 || true
    exit 1
}

started=$(date +%s%N)
mkdir -p "$STATE"
chmod 755 "$STATE"  # MariaDB runs as the mysql user and must reach its data dir
install_packages
# Before anything is written: the port must be free (or ours), and the site
# config must be ours to replace.
if ! alive "$STATE/php.pid" && port_taken "$PORT"; then
    log "port $PORT is in use by another program: set WP_PORT"
    exit 1
fi
if [[ -f /etc/wordpress/config-127.0.0.1.php ]] && ! grep -q "aggregator tests" /etc/wordpress/config-127.0.0.1.php; then
    log "/etc/wordpress/config-127.0.0.1.php belongs to another WordPress: not replacing it"
    exit 1
fi
start_mariadb
create_database
write_config
php "$HERE/install.php" >&2
start_php
printf 'WORDPRESS_URL=%s\nWP_STATE_DIR=%s\n' "$URL" "$STATE" >"$STATE/env"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
log "ready in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s: $URL"
echo "WORDPRESS_URL=$URL"
