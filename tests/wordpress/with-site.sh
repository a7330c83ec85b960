#!/usr/bin/env bash
# Run a command with the real WordPress site up, then stop the site.
#
#   tests/wordpress/with-site.sh make test
#
# Starts the site in a fresh state dir (setup.sh), fills it (populate.php),
# exports WORDPRESS_URL, WORDPRESS_TRUTH (the ground truth after populating)
# and WORDPRESS_SETUP_SECONDS, runs the command, and stops the servers on exit
# (stop.sh), keeping the command's exit status.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

if [[ -z ${WP_STATE_DIR:-} ]]; then
    WP_STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/aggregator-wordpress.XXXXXX")"
    made_state=1
fi
export WP_STATE_DIR

cleanup() {
    local status=$?
    "$HERE/stop.sh" || true
    if [[ -n ${made_state:-} ]]; then
        rm -rf "$WP_STATE_DIR"
    fi
    exit "$status"
}
trap cleanup EXIT

started=$(date +%s%N)
"$HERE/setup.sh" >/dev/null
php "$HERE/populate.php" initial "$WP_STATE_DIR/truth.json"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

set -a
# shellcheck disable=SC1091
. "$WP_STATE_DIR/env"
set +a
export WORDPRESS_TRUTH="$WP_STATE_DIR/truth.json"
export WORDPRESS_SETUP_SECONDS="$((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000)))"
echo "WordPress site up and populated in $WORDPRESS_SETUP_SECONDS s at $WORDPRESS_URL"

"$@"
