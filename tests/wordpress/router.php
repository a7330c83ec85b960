<?php
/**
 * Router for PHP's built-in server in front of Debian's WordPress: pretty permalinks.
 *
 * Files under /wp-content/ are served from the site's content directory
 * (WP_CONTENT_DIR, passed as the environment variable AGGREGATOR_WP_CONTENT);
 * other existing files and PHP scripts from the document root; everything else
 * goes to WordPress's index.php, as Apache's mod_rewrite rules would send it.
 */
$root = rtrim($_SERVER['DOCUMENT_ROOT'], '/');
$path = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if (strpos($path, '..') !== false) {
    http_response_code(400);
    return true;
}

$content = getenv('AGGREGATOR_WP_CONTENT');
if ($content && strncmp($path, '/wp-content/', 12) === 0) {
    $file = $content . substr($path, strlen('/wp-content'));
    if (is_file($file) && substr($file, -4) !== '.php') {
        $types = [
            'css' => 'text/css', 'js' => 'application/javascript', 'svg' => 'image/svg+xml',
            'png' => 'image/png', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'gif' => 'image/gif',
            'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ico' => 'image/x-icon',
        ];
        $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
        header('Content-Length: ' . filesize($file));
        readfile($file);
        return true;
    }
}

$target = $root . $path;
if ($path !== '/' && is_file($target)) {
    return false;  // a static file or a PHP script: the built-in server handles it
}
if (is_dir($target) && is_file(rtrim($target, '/') . '/index.php') && $path !== '/') {
    return false;  // e.g. /wp-admin/
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
chdir($root);
require $root . '/index.php';
