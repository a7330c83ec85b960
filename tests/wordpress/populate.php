<?php
/**
 * Fill the CI WordPress with a news site, and write its ground truth (php-cli).
 *
 *   php populate.php [initial] TRUTH.json   the site: categories, menus, authors,
 *                                           tags, 156 posts over two years, pages,
 *                                           drafts, pending, private and scheduled posts
 *   php populate.php more TRUTH.json        5 new posts, 3 recent posts edited
 *   php populate.php truth TRUTH.json       no change: only the ground truth
 *
 * TRUTH.json defaults to $WORDPRESS_TRUTH. Everything is seeded (mt_srand), so
 * the same day gives the same site; dates are relative to now so that the
 * newest posts are recent. The ground truth is read back from WordPress after
 * the changes: what the theme prints (titles through the_title, decoded),
 * dates from the posts table, categories as paths from the top category down.
 */
require __DIR__ . '/wp-cli-bootstrap.php';
require_once ABSPATH . 'wp-admin/includes/post.php';
require_once ABSPATH . 'wp-admin/includes/nav-menu.php';

$mode = 'initial';
$out = getenv('WORDPRESS_TRUTH') ?: '';
foreach (array_slice($argv, 1) as $arg) {
    if (in_array($arg, ['initial', 'more', 'truth'], true)) {
        $mode = $arg;
    } else {
        $out = $arg;
    }
}
if ($out === '') {
    fwrite(STDERR, "usage: php populate.php [initial|more|truth] TRUTH.json (or set WORDPRESS_TRUTH)\n");
    exit(2);
}

const TAXONOMY = [
    'World News' => ['Asia', 'Europe', 'Africa'],
    'Politics' => ['Elections', 'Government Policies'],
    'Business & Finance' => ['Market Trends', 'Corporate News'],
    'Sports' => ['Football', 'Tennis'],
    'Technology' => ['Artificial Intelligence', 'Cybersecurity'],
];
const AUTHORS = [
    'zoe' => 'Zoë Ångström',
    'marcus' => 'Marcus Lee',
    'priya' => 'Priya Raman',
    'daniel' => 'Daniel Okafor',
];
const TAGS = [
    'Climate', 'Trade', 'Elections 2025', 'Startups', 'Central Banks', 'Olympics', 'Privacy',
    'Energy', 'Health', 'Zürich', 'Inflation', 'Transport', 'Education', 'Data', 'Housing',
];
const SUBJECTS = [
    'Regional leaders', 'The central bank', 'Port operators', 'A coalition of farmers', 'City council',
    'Shipping firms', 'Election officials', 'The national team', 'Researchers', 'Regulators',
    'Chipmakers', 'A veteran striker', 'Bond traders', 'Rail unions', 'The finance ministry',
    "The prime minister's office", 'Hospital networks', 'Software engineers', 'Cyber investigators',
    'Tennis officials',
];
const VERBS = [
    'unveil', 'weigh', 'back', 'reject', 'delay', 'expand', 'question', 'defend', 'review', 'approve',
];
const OBJECTS = [
    'new harbour rules', 'a plan for cheaper power', 'tighter data checks', 'a rate pause',
    'a stadium upgrade', 'border trade talks', 'a "historic" budget', 'chip export limits',
    'an early vote', 'flood defences', 'a AI safety code', 'the transfer window & wage caps',
    'a bid for the finals', 'rules on cloud storage', 'school funding',
];
const PLACES = [
    'Jakarta', 'Lagos', 'Lyon', 'Nairobi', 'Osaka', 'Kraków', 'Manila', 'Accra', 'Porto', 'Hanoi',
    'Seoul', 'Dakar', 'Ghent', 'Penang', 'Turin',
];
const WORDS = [
    'analysts', 'said', 'the', 'proposal', 'would', 'take', 'effect', 'next', 'quarter', 'after',
    'months', 'of', 'talks', 'with', 'industry', 'groups', 'and', 'residents', 'officials', 'expect',
    'costs', 'to', 'rise', 'before', 'they', 'fall', 'while', 'critics', 'warned', 'that', 'smaller',
    'firms', 'could', 'struggle', 'measure', 'follows', 'a', 'year', 'in', 'which', 'demand', 'grew',
    'faster', 'than', 'forecast', 'local', 'reporters', 'were', 'told', 'details', 'remain', 'under',
    'review', 'spokesperson', 'added', 'further', 'statement', 'is', 'due', 'on', 'Monday', 'market',
    'reaction', 'was', 'muted', 'as', 'investors', 'waited', 'for', 'data', 'supporters', 'argue',
    'plan', 'brings', 'long', 'overdue', 'clarity', 'weekend', 'crowds', 'gathered', 'outside', 'hall',
    'coach', 'season', 'players', 'training', 'network', 'attack', 'systems', 'patched', 'within', 'hours',
];

function say(string $message): void { fwrite(STDERR, "populate: $message\n"); }

function pick(array $list) { return $list[mt_rand(0, count($list) - 1)]; }

/** A sentence of invented news prose. */
function sentence(): string {
    $n = mt_rand(9, 22);
    $words = [];
    for ($i = 0; $i < $n; $i++) {
        $words[] = pick(WORDS);
    }
    return ucfirst(implode(' ', $words)) . '.';
}

/** Several paragraphs, $target words in all (roughly). */
function body(int $target): string {
    $paragraphs = [];
    $count = 0;
    while ($count < $target) {
        $sentences = [];
        for ($i = mt_rand(3, 6); $i > 0 && $count < $target; $i--) {
            $s = sentence();
            $count += str_word_count($s);
            $sentences[] = $s;
        }
        $paragraphs[] = '<p>' . implode(' ', $sentences) . '</p>';
    }
    return implode("\n\n", $paragraphs);
}

function title(): string {
    return pick(SUBJECTS) . ' ' . pick(VERBS) . ' ' . pick(OBJECTS) . ' in ' . pick(PLACES);
}

/** MySQL datetime strings (local, GMT) for a Unix time, in the site's time zone. */
function stamps(int $ts): array {
    return [wp_date('Y-m-d H:i:s', $ts), gmdate('Y-m-d H:i:s', $ts)];
}

function insert_post(array $fields): int {
    $id = wp_insert_post(wp_slash($fields), true);
    if (is_wp_error($id)) {
        say('wp_insert_post failed: ' . $id->get_error_message());
        exit(1);
    }
    return $id;
}

/** Set a post's modified time directly: wp_update_post would set it to now. */
function set_modified(int $id, int $ts): void {
    global $wpdb;
    [$local, $gmt] = stamps($ts);
    $wpdb->update($wpdb->posts, ['post_modified' => $local, 'post_modified_gmt' => $gmt], ['ID' => $id]);
    clean_post_cache($id);
}

function category_id(string $name): int {
    $term = get_term_by('name', esc_html($name), 'category') ?: get_term_by('name', $name, 'category');
    return $term->term_id;
}

function populate_initial(int $now): void {
    if (get_option('aggregator_ci_populated')) {
        say('the site is populated already: run setup.sh first for a fresh one');
        exit(1);
    }
    update_option('aggregator_ci_populated', gmdate('c', $now));
    mt_srand(20250219);
    // The install's sample content is not part of the news site.
    foreach (get_posts(['post_type' => ['post', 'page'], 'post_status' => 'any', 'numberposts' => -1]) as $p) {
        wp_delete_post($p->ID, true);
    }

    $children = [];
    foreach (TAXONOMY as $parent => $kids) {
        $parent_id = wp_insert_term($parent, 'category')['term_id'];
        foreach ($kids as $kid) {
            $children[] = [wp_insert_term($kid, 'category', ['parent' => $parent_id])['term_id'], $parent_id];
        }
    }

    $authors = [];
    foreach (AUTHORS as $login => $name) {
        [$first, $last] = explode(' ', $name, 2);
        $authors[] = wp_insert_user([
            'user_login' => $login, 'user_pass' => "ci-$login-password", 'user_email' => "$login@example.invalid",
            'display_name' => $name, 'first_name' => $first, 'last_name' => $last, 'nickname' => $name,
            'role' => 'author',
        ]);
    }

    // Pages: not articles, linked from the footer menu.
    $about = insert_post(['post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'About',
        'post_content' => body(120), 'post_author' => 1]);
    $contact = insert_post(['post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Contact',
        'post_content' => '<p>Write to the newsroom at newsroom@example.invalid.</p>', 'post_author' => 1]);

    // 156 published posts over two years; the newest four within the last day.
    $recent = [2 * 3600, 5 * 3600, 9 * 3600, 20 * 3600];
    $total = 156;
    for ($i = 0; $i < $total; $i++) {
        $age = $i < count($recent) ? $recent[$i]
            : (int) (36 * 3600 + ($i - count($recent)) * (728 * 86400 / ($total - count($recent))) + mt_rand(0, 40000));
        $ts = $now - $age;
        [$local, $gmt] = stamps($ts);
        [$child, $parent] = pick($children);
        $shape = mt_rand(1, 100);
        if ($shape <= 70) {
            $cats = [$child];                              // the child category only
        } elseif ($shape <= 85) {
            $cats = [$parent, $child];                     // child and its parent
        } else {
            do {
                [$other] = pick($children);
            } while ($other === $child);
            $cats = [$child, $other];                      // two categories
        }
        $tags = [];
        for ($t = mt_rand(0, 4); $t > 0; $t--) {
            $tags[] = pick(TAGS);
        }
        $id = insert_post([
            'post_type' => 'post', 'post_status' => 'publish', 'post_title' => title(),
            'post_content' => body(mt_rand(150, 880)), 'post_author' => pick($authors),
            'post_date' => $local, 'post_date_gmt' => $gmt, 'post_category' => $cats,
            'tags_input' => array_values(array_unique($tags)),
            'comment_status' => 'closed', 'ping_status' => 'closed',
        ]);
        if ($i >= count($recent) && mt_rand(1, 100) <= 15) {
            set_modified($id, $ts + mt_rand(3600, 10 * 86400));  // corrected after publishing
        }
    }

    // Never to be archived: drafts, pending review, private, scheduled.
    $unlisted = [['draft', -5], ['draft', -40], ['draft', 0], ['pending', -3], ['pending', -1],
        ['private', -7], ['private', -100], ['future', 3], ['future', 10], ['future', 30]];
    foreach ($unlisted as [$status, $days]) {
        [$child] = pick($children);
        $fields = ['post_type' => 'post', 'post_status' => $status, 'post_title' => title(),
            'post_content' => body(mt_rand(150, 400)), 'post_author' => pick($authors),
            'post_category' => [$child]];
        if ($days !== 0) {
            [$fields['post_date'], $fields['post_date_gmt']] = stamps($now + $days * 86400);
        }
        if ($status !== 'draft' && $status !== 'pending') {
            $fields['post_name'] = sanitize_title($fields['post_title']) . '-' . $status;
        }
        insert_post($fields);
    }

    // The classic menus: categories (parent > children) at 'primary', pages at 'footer'.
    $menu = wp_create_nav_menu('Sections');
    foreach (TAXONOMY as $parent => $kids) {
        $parent_item = wp_update_nav_menu_item($menu, 0, ['menu-item-type' => 'taxonomy',
            'menu-item-object' => 'category', 'menu-item-object-id' => category_id($parent),
            'menu-item-status' => 'publish']);
        foreach ($kids as $kid) {
            wp_update_nav_menu_item($menu, 0, ['menu-item-type' => 'taxonomy', 'menu-item-object' => 'category',
                'menu-item-object-id' => category_id($kid), 'menu-item-parent-id' => $parent_item,
                'menu-item-status' => 'publish']);
        }
    }
    $footer = wp_create_nav_menu('Footer');
    foreach ([$about, $contact] as $page) {
        wp_update_nav_menu_item($footer, 0, ['menu-item-type' => 'post_type', 'menu-item-object' => 'page',
            'menu-item-object-id' => $page, 'menu-item-status' => 'publish']);
    }
    set_theme_mod('nav_menu_locations', ['primary' => $menu, 'footer' => $footer]);
    say("published $total posts, 2 pages, " . count($unlisted) . ' unpublished posts');
}

function populate_more(int $now): void {
    mt_srand(20250220);
    $children = [];
    foreach (TAXONOMY as $parent => $kids) {
        foreach ($kids as $kid) {
            $children[] = category_id($kid);
        }
    }
    $authors = array_map(fn($login) => get_user_by('login', $login)->ID, array_keys(AUTHORS));
    $edited = get_posts(['post_type' => 'post', 'post_status' => 'publish', 'numberposts' => 3,
        'orderby' => 'date', 'order' => 'DESC']);
    $new = [];
    for ($i = 0; $i < 5; $i++) {
        [$local, $gmt] = stamps($now - (50 - 10 * $i) * 60);
        $new[] = insert_post(['post_type' => 'post', 'post_status' => 'publish', 'post_title' => title(),
            'post_content' => body(mt_rand(150, 880)), 'post_author' => pick($authors),
            'post_date' => $local, 'post_date_gmt' => $gmt, 'post_category' => [pick($children)],
            'tags_input' => [pick(TAGS)], 'comment_status' => 'closed', 'ping_status' => 'closed']);
    }
    foreach ($edited as $post) {
        $content = $post->post_content . "\n\n<p><em>Update:</em> " . sentence() . ' ' . sentence() . '</p>';
        $result = wp_update_post(wp_slash(['ID' => $post->ID, 'post_content' => $content]), true);
        if (is_wp_error($result)) {
            say('wp_update_post failed: ' . $result->get_error_message());
            exit(1);
        }
    }
    update_option('aggregator_ci_last_change', [
        'new' => array_map('get_permalink', $new),
        'edited' => array_map(fn($p) => get_permalink($p->ID), $edited),
    ]);
    say('published 5 posts, edited 3');
}

function text(string $html): string {
    return trim(html_entity_decode(wp_strip_all_tags($html), ENT_QUOTES | ENT_HTML5, 'UTF-8'));
}

function iso_gmt(string $mysql): string { return str_replace(' ', 'T', $mysql) . 'Z'; }

/** The category as a path of names from its top ancestor down. */
function category_path(WP_Term $term): array {
    $path = [];
    foreach (array_reverse(get_ancestors($term->term_id, 'category', 'taxonomy')) as $ancestor) {
        $path[] = text(get_term($ancestor, 'category')->name);
    }
    $path[] = text($term->name);
    return $path;
}

/** Ground truth, read back from WordPress. */
function truth(): array {
    $posts = [];
    $query = ['post_type' => 'post', 'post_status' => 'publish', 'numberposts' => -1,
        'orderby' => 'date', 'order' => 'DESC', 'suppress_filters' => false];
    foreach (get_posts($query) as $post) {
        $categories = array_map('category_path', get_the_category($post->ID));
        $posts[] = [
            'id' => $post->ID,
            'url' => get_permalink($post),
            'headline' => text(get_the_title($post)),
            'date_published' => iso_gmt($post->post_date_gmt),
            'date_published_local' => get_post_time('c', false, $post),
            'date_modified' => iso_gmt($post->post_modified_gmt),
            'date_modified_local' => get_post_modified_time('c', false, $post),
            'modified' => $post->post_modified_gmt !== $post->post_date_gmt,
            'categories' => $categories,
            'tags' => array_map(fn($t) => text($t->name), wp_get_post_tags($post->ID)),
            'author' => text(get_the_author_meta('display_name', $post->post_author)),
            'words' => str_word_count(text($post->post_content)),
            'first_paragraph' => text(explode('</p>', $post->post_content)[0]),
        ];
    }
    $never = [];
    $unlisted = get_posts(['post_type' => 'post', 'post_status' => ['draft', 'pending', 'private', 'future'],
        'numberposts' => -1]);
    foreach ($unlisted as $post) {
        $never[] = ['status' => $post->post_status, 'url' => home_url('/?p=' . $post->ID)];
        if ($post->post_name !== '') {
            $date = $post->post_date !== '0000-00-00 00:00:00' ? $post->post_date : current_time('mysql');
            $never[] = ['status' => $post->post_status,
                'url' => home_url(date('Y/m/d', strtotime($date)) . '/' . $post->post_name . '/')];
        }
    }
    foreach (get_pages(['post_status' => 'publish,draft']) as $page) {
        $never[] = ['status' => 'page', 'url' => get_permalink($page)];
    }
    $menu = [];
    foreach (TAXONOMY as $parent => $kids) {
        $menu[] = ['path' => [$parent], 'url' => get_category_link(category_id($parent))];
        foreach ($kids as $kid) {
            $menu[] = ['path' => [$parent, $kid], 'url' => get_category_link(category_id($kid))];
        }
    }
    return [
        'home' => home_url('/'),
        'timezone' => get_option('timezone_string'),
        'posts_per_page' => (int) get_option('posts_per_page'),
        'posts' => $posts,
        'never_archive' => $never,
        'sections' => $menu,
        'last_change' => get_option('aggregator_ci_last_change', ['new' => [], 'edited' => []]),
    ];
}

$now = time();
wp_set_current_user(1);
if ($mode === 'initial') {
    populate_initial($now);
} elseif ($mode === 'more') {
    populate_more($now);
}
$truth = truth();
file_put_contents($out, json_encode($truth, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
say(count($truth['posts']) . " published posts in the ground truth: $out");
