"""Scrapy settings of the aggregator project.

Scrapy's own settings come first (alphabetical within groups); the project's
own settings follow, each with its unit and default. Override any of them
per run with ``scrapy crawl news -s NAME=VALUE``.
"""

BOT_NAME = "aggregator"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# Our `scrapy crawl`: checked arguments and settings, a non-zero exit status on failure.
COMMANDS_MODULE = "aggregator.commands"

# --- Politeness -------------------------------------------------------------
# A descriptive User-Agent: site operators can see who crawls them.
USER_AGENT = "aggregator-news-crawler/0.1 (news archive crawler; set USER_AGENT to name yourself and a contact)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8

# --- Limits that fit news pages (hostile responses stay cheap) --------------
# News article pages are 50 KB to 3 MB; anything past 10 MB (also after
# gzip decompression, which Scrapy checks against the same limit) is dropped.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Seconds for a whole response; a page that trickles is cut off after this.
DOWNLOAD_TIMEOUT = 20
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 1

# --- Components ---------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    "aggregator.middlewares.RedirectLoopMiddleware": 650,
}
ITEM_PIPELINES = {
    "pipelines.urls.CanonicalUrlPipeline": 100,
    "pipelines.dates.DatesPipeline": 200,
    "pipelines.sections.SectionsPipeline": 300,
    "pipelines.reading_time.ReadingTimePipeline": 400,
    "pipelines.archive.ArchivePipeline": 900,
}

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Project settings ---------------------------------------------------------
# Path of the SQLite archive, resolved to an absolute path when the crawl opens.
ARCHIVE_PATH = "news.sqlite"
# Items written per archive transaction; the rest are written when the crawl closes.
ARCHIVE_BATCH_SIZE = 50

# IANA time zone of the site, used for dates printed without an offset
# (None: UTC, counted in the stat aggregator/dates/timezone_default).
SITE_TIMEZONE = None
# Languages of the site's dates for dateparser, e.g. ["en"] (None: detected
# from the page's lang attribute, else dateparser's own detection).
SITE_LANGUAGES = None

# The site's own names for menu sections, e.g. {"Intl": "World News"} or
# {"US": "World News/US & Canada"} (JSON on the command line).
SECTION_ALIASES = {}

# Reading speed for the computed reading time: words per minute, and
# characters per minute for Chinese, Japanese and Korean text.
READING_WPM = 200
READING_CPM = 500

# Listing pages followed per section through its pagination.
SECTION_MAX_PAGES = 50

# --- Incremental runs ----------------------------------------------------------
# Archived articles published (else first archived) less than this many days
# ago are fetched again, conditionally, to catch updates; 0: never.
RECRAWL_DAYS = 2
# A section's pagination stops after this many listing pages in a row that
# hold only articles archived by earlier runs; 0: walk every page.
INCREMENTAL_STALE_PAGES = 1

# Sitemaps read per run at most (indexes list their children newest first by
# lastmod, so the cap keeps the recent ones; the others wait for the next run).
SITEMAP_MAX_SITEMAPS = 500

# --- WordPress REST API source ------------------------------------------------------
# Read the WordPress REST API's posts (source wp-api) whenever the home page
# announces it, even when -a sources= does not name it.
WP_API_AUTO = False
# Pages of 100 posts read from the API per run, at most.
WP_API_MAX_PAGES = 500

# --- Scheduled runs -------------------------------------------------------------
# The live progress line (a terminal) or progress log line (cron, scrapyd).
EXTENSIONS = {
    "aggregator.extensions.Progress": 500,
}
# The sites file read by `scrapy crawl news -a site=NAME` and `aggregator crawl`
# (TOML; a relative path is resolved from the current directory).
SITES_FILE = "sites.toml"
# Seconds after which another run's crawl lock of the same site is taken over
# even if its process seems alive (0: never; a dead process's lock always is).
CRAWL_LOCK_STALE_SECONDS = 6 * 60 * 60
# A finished run is "degraded" when, compared with the median of the site's last
# DEGRADED_RUNS runs (at least 2), it found fewer than DEGRADED_ARTICLES_RATIO x
# the articles, or a field's share of items (datePublished, section, articleBody,
# headline, authors) fell by more than DEGRADED_COVERAGE_DROP (absolute; judged
# only when the run had at least DEGRADED_MIN_ITEMS items).
DEGRADED_RUNS = 5
DEGRADED_ARTICLES_RATIO = 0.5
DEGRADED_COVERAGE_DROP = 0.25
DEGRADED_MIN_ITEMS = 10
# Progress: on a terminal a line rewritten about once a second; otherwise one
# INFO log line every PROGRESS_INTERVAL seconds.
PROGRESS_ENABLED = True
PROGRESS_INTERVAL = 60

# --- Distributed crawls (pip install '.[distributed]') ----------------------------
# True: this crawl is one worker of several sharing scrapy-redis's request queue
# and seen-set in Redis; its items go to Redis for `aggregator ingest`, the
# archive's single writer (see aggregator/distributed.py and the README).
DISTRIBUTED = False
# The Redis server of a distributed crawl (scrapy-redis's setting).
REDIS_URL = "redis://127.0.0.1:6379/0"
# Prefix of the crawl's Redis keys, <prefix><spider>:<site>:requests and so on.
DISTRIBUTED_KEY_PREFIX = "aggregator:"
# Seconds with nothing queued or in flight on any worker after which a worker
# closes, and with no item and no live worker after which the ingester closes.
DISTRIBUTED_IDLE_CLOSE = 10
# Seconds an ingester started before the workers waits for the first one.
DISTRIBUTED_START_WAIT = 60
# Seconds without a heartbeat after which a worker counts as dead and the
# requests it had taken are queued again.
DISTRIBUTED_WORKER_TIMEOUT = 30
# Seconds the run's seen-set, queue and items live after the last heartbeat
# (a safety net: a run that ends normally deletes its seen-set at once).
DISTRIBUTED_KEYS_TTL = 7 * 24 * 3600
