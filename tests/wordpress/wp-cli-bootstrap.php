<?php
/**
 * Load WordPress from the command line (php-cli) for the CI site.
 *
 * Debian's wp-config.php picks /etc/wordpress/config-<host>.php from the Host
 * header, so the CLI pretends to be a request to 127.0.0.1. Define
 * WP_INSTALLING before including this file to load an empty database.
 */
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
require '/usr/share/wordpress/wp-load.php';
