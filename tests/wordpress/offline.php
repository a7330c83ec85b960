<?php
/**
 * Plugin Name: Aggregator CI: offline site
 * Description: Must-use plugin for the CI WordPress: nothing reaches outside the machine.
 *
 * No emoji script or styles (they load from a CDN), no resource hints or remote
 * fonts, no pings or enclosure checks, no update checks, no outgoing HTTP.
 */
remove_action('wp_head', 'print_emoji_detection_script', 7);
remove_action('wp_print_styles', 'print_emoji_styles');
remove_action('admin_print_scripts', 'print_emoji_detection_script');
remove_action('admin_print_styles', 'print_emoji_styles');
remove_action('embed_head', 'print_emoji_detection_script');
remove_filter('the_content_feed', 'wp_staticize_emoji');
remove_filter('comment_text_rss', 'wp_staticize_emoji');
remove_filter('wp_mail', 'wp_staticize_emoji_for_email');
remove_action('wp_head', 'wp_resource_hints', 2);
add_filter('emoji_svg_url', '__return_false');
add_filter('wp_resource_hints', '__return_empty_array');
add_filter('pre_option_ping_sites', '__return_empty_string');
add_filter('pre_option_default_pingback_flag', '__return_zero');
add_filter('pre_option_default_ping_status', function () { return 'closed'; });
remove_action('do_pings', 'do_all_pings', 10);
remove_action('publish_post', '_publish_post_hook', 5);
add_filter('pre_http_request', function () {
    return new WP_Error('http_request_blocked', 'The CI WordPress makes no outgoing requests.');
}, 1);
add_filter('automatic_updater_disabled', '__return_true');
add_filter('pre_site_transient_update_core', '__return_null');
add_filter('pre_site_transient_update_plugins', '__return_null');
add_filter('pre_site_transient_update_themes', '__return_null');
remove_action('init', 'wp_schedule_update_checks');
