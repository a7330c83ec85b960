<?php
/**
 * Install WordPress non-interactively into the empty CI database (php-cli).
 *
 * Site settings: Asia/Singapore time, date-based permalinks, the classic
 * twentytwentyone theme, 10 posts per page and feed, no comments or pings.
 */
define('WP_INSTALLING', true);
require __DIR__ . '/wp-cli-bootstrap.php';

/** No mail on install: there is no mail server. */
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}

require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if (!is_blog_installed()) {
    $result = wp_install('Aggregator Test News', 'admin', 'admin@example.invalid', true, '', 'ci-admin-password');
    if (is_wp_error($result)) {
        fwrite(STDERR, "wp_install failed\n");
        exit(1);
    }
}
update_option('blogdescription', 'A WordPress news site for the crawler tests');
update_option('timezone_string', 'Asia/Singapore');
update_option('gmt_offset', '');
update_option('date_format', 'F j, Y');
update_option('posts_per_page', 10);
update_option('posts_per_rss', 10);
update_option('rss_use_excerpt', 0);
update_option('blog_public', 1);
update_option('default_comment_status', 'closed');
update_option('default_ping_status', 'closed');
update_option('default_pingback_flag', 0);
update_option('ping_sites', '');
switch_theme('twentytwentyone');

global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%year%/%monthnum%/%day%/%postname%/');
$wp_rewrite->set_category_base('category');
flush_rewrite_rules(false);
echo "WordPress installed: ", home_url('/'), "\n";
