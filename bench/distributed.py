"""Distributed crawls: pages per second with 1, 2 and 4 workers, and the ingester's items per second.

Usage (from the repository root; needs the ``distributed`` extra and a
``redis-server`` on the PATH, or ``--redis-url``)::

    python bench/distributed.py                  # 2,000 articles (about 3 minutes on 2 cores)
    python bench/distributed.py --quick          # 500 articles
    python bench/distributed.py --articles 3000 --workers 1,2,4,8
    python bench/distributed.py --redis-url redis://127.0.0.1:6379/0 --keep-logs
    python bench/distributed.py --wait-quiet 300   # on a shared machine: wait for idle CPUs first

What runs, in one invocation, one configuration after the other:

1. ``single``: the usual single-process crawl, ``scrapy crawl news -a
   url=…`` into a fresh archive (extraction and every pipeline in the one
   process), the reference;
2. for each worker count N (default 1, 2, 4): N processes ``scrapy crawl
   news -a url=… -s DISTRIBUTED=True`` started together, sharing one Redis
   (a fresh ``DISTRIBUTED_KEY_PREFIX`` each time), with no ingester running:
   the workers' items pile up in Redis. The workers' ``ARCHIVE_PATH`` does
   not exist, so no article is skipped as already archived. When the last
   worker has exited, ``aggregator ingest`` is started alone and timed
   draining that backlog into a fresh archive.

Each configuration gets a fresh :func:`aggregator.demo_site.build_demo_site`
of ``--articles`` articles (the same content) behind a fresh
:class:`aggregator.demo_site.DemoServer` (threads of this process, each page
rendered on request), so that its request log is its own. Unless
``--redis-url`` is given, a private ``redis-server`` (no persistence) is
started on a free port and stopped at the end. Settings measure the
crawler's capacity, not its politeness: ``AUTOTHROTTLE_ENABLED=False`` and
``CONCURRENT_REQUESTS = CONCURRENT_REQUESTS_PER_DOMAIN = 16``. Politeness
limits are per worker process: N workers put N times the load on one site.
Workers close ``DISTRIBUTED_IDLE_CLOSE`` (1) seconds after the shared queue
went quiet, and count as dead ``DISTRIBUTED_WORKER_TIMEOUT`` (3) seconds
after their last heartbeat.

How to read it:

- ``wall s``: first process started to last process exited (interpreter
  start-up and, for workers, the idle-close wait included); ``fetch s``: the
  server's first answer to its last (neither included). ``pages``: the
  crawlers' ``response_received_count``, summed over workers. ``pages/s``
  is over ``wall s``, ``fetch p/s`` over ``fetch s``; ``x 1 wkr`` and
  ``x single`` compare ``pages/s``.
- ``CPU ms/pg``: the crawl processes' user + system CPU (``wait4``) per
  page; ``crawl``, ``server`` and ``redis`` core use: CPU seconds over wall
  seconds of the crawl processes together, of this process's threads but
  the main one (the demo server), and of the private ``redis-server``. On
  a machine with C cores, crawl + server + redis near C means the machine,
  not the design, is the limit; ``server`` near 1 core means the demo
  server (one Python process, one GIL) is. ``others``: the machine's busy
  CPU (``/proc/stat``) minus all of the above, i.e. processes not ours
  (a ``--redis-url`` server on this machine among them);
  above 0.25 of a core the configuration is flagged: it competed for the
  cores and its rates are low.
- The checks: articles archived (by the single crawl, or by the ingester
  after the workers) must equal the site's; no URL but ``/robots.txt``
  (once per worker) may be fetched twice; the run's Redis keys must be gone
  after the ingester ends.
- The ingester: ``wall s`` from its start to its exit; ``open-close s``
  Scrapy's ``elapsed_time_seconds``; ``drain s`` from its first archive
  commit to its last commit before it closed (seen as the Redis items list
  shrinking: items leave it only once committed, 50 articles a batch),
  which leaves out start-up, the first batch, the ``DISTRIBUTED_IDLE_CLOSE``
  wait, and the last partial batch and related-articles computation done at
  close (``related s``). ``items/s wall`` is what a whole ``aggregator
  ingest`` run achieves on a backlog; ``items/s drain`` its steady rate,
  to compare with the rate workers produce items.

Exit status 1 if a check fails or a process exits with an error.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aggregator.demo_site import DemoServer, DemoSite, build_demo_site  # noqa: E402

# Crawler capacity, not politeness (per process: N workers put N times the load on the site).
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "SITE_TIMEZONE": "Asia/Singapore",
    "LOG_LEVEL": "INFO",
}
DISTRIBUTED_SETTINGS = {"DISTRIBUTED": True, "DISTRIBUTED_IDLE_CLOSE": 1, "DISTRIBUTED_WORKER_TIMEOUT": 3}
CHILD_TIMEOUT = 900  # seconds before a configuration's processes are killed
ARCHIVE_BATCH_SIZE = 50  # the project's default: articles per archive commit
OTHERS_WARN = 0.25  # cores used by other processes above which a measurement is flagged as disturbed


# --- Child processes --------------------------------------------------------------------
@dataclass
class Finished:
    """One child process, ended: exit status, times (monotonic), CPU seconds, final Scrapy stats."""

    name: str
    returncode: int
    started: float
    ended: float
    cpu: float
    log: Path
    output: Path
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))


_DATETIME = re.compile(r"datetime\.datetime\([^()]*\)")
_STATS = re.compile(r"Dumping Scrapy stats:\n(\{.*?\})\n(?=\d{4}-\d\d-\d\d |\Z)", re.S)


def read_stats(log: Path) -> dict[str, Any]:
    """The final stats a Scrapy process dumped to its log (datetimes as None), or {}."""
    found = _STATS.findall(log.read_text(errors="replace")) if log.exists() else []
    if not found:
        return {}
    try:
        return ast.literal_eval(_DATETIME.sub("None", found[-1]))
    except (ValueError, SyntaxError):
        return {}


def _env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "aggregator.settings",
            "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def _options(settings: dict[str, Any]) -> list[str]:
    return [part for name, value in settings.items() for part in ("-s", f"{name}={value}")]


def crawl_command(url: str, settings: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={url}", *_options(settings)]


def ingest_command(url: str, archive: Path, settings: dict[str, Any]) -> list[str]:
    """``aggregator ingest`` (``python -m aggregator.cli`` runs nothing: the module has no ``__main__`` block)."""
    script = Path(sys.executable).with_name("aggregator")
    runner = [str(script)] if script.exists() else [sys.executable, "-c", "from aggregator.cli import cli; cli()"]
    return [*runner, "ingest", "--url", url, "--db", str(archive), *_options(settings)]


class Children:
    """Start child processes and reap them with ``wait4`` (exit time and CPU of each)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.running: dict[int, tuple[str, subprocess.Popen, float, Path]] = {}

    def start(self, name: str, command: list[str], log: Path) -> None:
        output = self.folder / f"{name}.out"
        with open(output, "wb") as handle:
            child = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=handle, stderr=subprocess.STDOUT)
        self.running[child.pid] = (name, child, time.monotonic(), log)

    def wait(self, tick: Optional[Callable[[], None]] = None, every: float = 0.02,
             timeout: float = CHILD_TIMEOUT) -> list[Finished]:
        """Wait for every running child, calling ``tick`` between checks; kill them all after ``timeout``."""
        try:
            return self._wait(tick, every, timeout)
        except BaseException:  # Ctrl-C, a Redis error in tick: leave no child behind
            self.kill()
            raise

    def _wait(self, tick: Optional[Callable[[], None]], every: float, timeout: float) -> list[Finished]:
        done: list[Finished] = []
        deadline = time.monotonic() + timeout
        while self.running:
            for pid in list(self.running):
                found, status, usage = os.wait4(pid, os.WNOHANG)
                if not found:
                    continue
                ended = time.monotonic()
                name, child, started, log = self.running.pop(pid)
                child.returncode = os.waitstatus_to_exitcode(status)
                done.append(Finished(name, child.returncode, started, ended, usage.ru_utime + usage.ru_stime,
                                     log, self.folder / f"{name}.out", read_stats(log)))
            if tick is not None:
                tick()
            if self.running and time.monotonic() > deadline:
                self.kill()
                raise SystemExit(f"processes still running after {timeout:.0f} s: killed")
            time.sleep(every)
        return sorted(done, key=lambda f: f.name)

    def kill(self) -> None:
        for pid, (_, child, _, _) in list(self.running.items()):
            child.kill()
            child.wait()
            del self.running[pid]


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no file)"


def check_exits(finished: list[Finished]) -> None:
    for child in finished:
        if child.returncode != 0 or child.stats.get("finish_reason") != "finished":
            print(f"--- {child.name}: exit status {child.returncode}, finish reason "
                  f"{child.stats.get('finish_reason')!r}; end of its output and log:\n{_tail(child.output)}\n"
                  f"{_tail(child.log)}", file=sys.stderr)


# --- Redis ------------------------------------------------------------------------------
def _cpu_of(pid: int) -> Optional[float]:
    """User + system CPU seconds of a running process, from /proc (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RedisServer:
    """A private ``redis-server`` without persistence on a free port of 127.0.0.1."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not on the PATH: install it, or give --redis-url")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--daemonize", "no", "--logfile", str(folder / "redis-server.log")]
        self.process: Optional[subprocess.Popen] = None

    def __enter__(self) -> "RedisServer":
        import redis

        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"redis-server did not start: {' '.join(self.command)}")
                time.sleep(0.05)
        self.version = client.info("server")["redis_version"]
        return self

    def cpu(self) -> Optional[float]:
        return _cpu_of(self.process.pid) if self.process else None

    def __exit__(self, *exc_info: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RedisWatch:
    """Samples one run's Redis keys: queue length, items waiting, server memory (peaks), and every
    change of the items list's length with its time."""

    def __init__(self, client: Any, base: str, every: float = 0.1):
        self.client = client
        self.requests, self.items = f"{base}:requests", f"{base}:items"
        self.every = every
        self.full = True  # also the queue's length and Redis's memory
        self.last = 0.0
        self.peak_queue = self.peak_items = self.peak_memory = 0
        self.items_now: Optional[int] = None
        self.changes: list[tuple[float, int]] = []

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        pipe = self.client.pipeline()
        pipe.llen(self.items)
        if self.full:
            pipe.zcard(self.requests)
            pipe.info("memory")
        items, *rest = pipe.execute()
        self.peak_items = max(self.peak_items, items)
        if rest:
            self.peak_queue = max(self.peak_queue, rest[0])
            self.peak_memory = max(self.peak_memory, rest[1]["used_memory"])
        if items != self.items_now:
            self.changes.append((now, items))
            self.items_now = items


# --- The demo site, served --------------------------------------------------------------
class TimedSite:
    """A ``DemoSite`` as ``DemoServer`` serves it (it only calls ``respond()``), noting when each answer was made."""

    def __init__(self, site: DemoSite):
        self.site = site
        self.times: list[float] = []

    def respond(self, target: str, base_url: str, headers: Any = None) -> Any:
        response = self.site.respond(target, base_url, headers)
        self.times.append(time.monotonic())
        return response


def machine_busy() -> Optional[float]:
    """CPU seconds the whole machine has spent busy (all cores, all processes), from /proc/stat (Linux), else None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU over a span: of this process's threads but the main one (the demo server), of its main
    thread, of redis-server, and of the whole machine."""

    def __init__(self, redis_server: Optional[RedisServer]):
        self.redis_server = redis_server

    def __enter__(self) -> "Meter":
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self._self, self._main = usage.ru_utime + usage.ru_stime, time.thread_time()
        self._redis = self.redis_server.cpu() if self.redis_server else None
        self._machine = machine_busy()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.main = time.thread_time() - self._main
        self.server = usage.ru_utime + usage.ru_stime - self._self - self.main
        now = self.redis_server.cpu() if self.redis_server else None
        self.redis = now - self._redis if now is not None and self._redis is not None else None
        machine = machine_busy()
        self.machine = machine - self._machine if machine is not None and self._machine is not None else None

    def others(self, children_cpu: float) -> Optional[float]:
        """CPU seconds of processes not ours (nor our redis-server) in the span, or None if unknown."""
        if self.machine is None:
            return None
        return max(0.0, self.machine - children_cpu - self.main - self.server - (self.redis or 0.0))


# --- One configuration --------------------------------------------------------------------
@dataclass
class Ingest:
    finished: Finished
    items: int  # entries the ingester read from the list
    archived: int
    drain_items: int
    drain_seconds: Optional[float]
    other_cpu: Optional[float]  # CPU seconds of other processes on the machine meanwhile

    @property
    def wall(self) -> float:
        return self.finished.ended - self.finished.started


@dataclass
class Config:
    label: str
    workers: int  # 0: the single-process crawl
    finished: list[Finished]
    started: float
    ended: float
    fetch_times: list[float]
    targets: Counter
    server_cpu: float
    redis_cpu: Optional[float]
    archived: int
    expected: int
    other_cpu: Optional[float] = None  # CPU seconds of other processes on the machine meanwhile
    watch: Optional[RedisWatch] = None
    leftover_keys: list[str] = field(default_factory=list)
    worker_archive_created: bool = False
    ingest: Optional[Ingest] = None

    @property
    def wall(self) -> float:
        return self.ended - self.started

    @property
    def fetch(self) -> float:
        return self.fetch_times[-1] - self.fetch_times[0] if len(self.fetch_times) > 1 else float("nan")

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.finished)

    @property
    def cpu(self) -> float:
        return sum(f.cpu for f in self.finished)

    @property
    def rate(self) -> float:
        return self.pages / self.wall

    @property
    def duplicates(self) -> dict[str, int]:
        return {t: n for t, n in self.targets.items() if n > 1 and t != "/robots.txt"}

    @property
    def ok(self) -> bool:
        ok = self.archived == self.expected and not self.duplicates and not self.leftover_keys
        ok = ok and all(f.returncode == 0 and f.stats.get("finish_reason") == "finished" for f in self.finished)
        return ok and (self.ingest is None or self.ingest.finished.returncode == 0)


def wait_quiet(limit: float, label: str, below: float = 0.15, sample: float = 2.0) -> None:
    """Wait up to ``limit`` seconds until the machine's busy CPU over ``sample`` seconds is under ``below`` cores."""
    if limit <= 0 or machine_busy() is None:
        return
    deadline, waited = time.monotonic() + limit, time.monotonic()
    while True:
        before = machine_busy()
        time.sleep(sample)
        load = (machine_busy() - before) / sample  # type: ignore[operator]
        if load < below:
            break
        if time.monotonic() > deadline:
            print(f"    (the machine stayed busy, {load:.2f} cores, for {limit:.0f} s: {label} starts anyway)", flush=True)
            return
    if time.monotonic() - waited > sample + 0.5:
        print(f"    (waited {time.monotonic() - waited:.0f} s for other processes to finish before {label})", flush=True)


def count_articles(archive: Path) -> int:
    if not archive.exists():
        return 0
    with sqlite3.connect(archive) as db:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]


def run_single(articles: int, folder: Path, redis_server: Optional[RedisServer]) -> Config:
    """The reference: one ordinary crawl into a fresh archive."""
    children = Children(folder)
    archive, log = folder / "single.sqlite", folder / "single.log"
    site = TimedSite(build_demo_site(articles))
    with DemoServer(site) as server, Meter(redis_server) as meter:  # type: ignore[arg-type]
        started = time.monotonic()
        children.start("single", crawl_command(f"{server.base_url}/", {
            **SETTINGS, "ARCHIVE_PATH": archive, "LOG_FILE": log}), log)
        finished = children.wait(every=0.05)
        ended = time.monotonic()
    check_exits(finished)
    return Config("single process", 0, finished, started, ended, site.times, Counter(t for t, _ in server.responses),
                  meter.server, meter.redis, count_articles(archive), articles, meter.others(sum(f.cpu for f in finished)))


def run_workers(workers: int, articles: int, folder: Path, redis_url: str, redis_server: Optional[RedisServer],
                prefix: str) -> Config:
    """``workers`` distributed workers with no ingester, then ``aggregator ingest`` alone on their backlog."""
    import redis

    children = Children(folder)
    label = f"{workers} worker{'s' if workers > 1 else ''}"
    absent = folder / f"w{workers}-absent.sqlite"  # the workers' ARCHIVE_PATH: nothing archived, nothing skipped
    archive = folder / f"w{workers}.sqlite"
    site = TimedSite(build_demo_site(articles))
    client = redis.Redis.from_url(redis_url)
    settings = {**SETTINGS, **DISTRIBUTED_SETTINGS, "REDIS_URL": redis_url, "DISTRIBUTED_KEY_PREFIX": prefix}
    with DemoServer(site) as server:  # type: ignore[arg-type]
        url = f"{server.base_url}/"
        watch = RedisWatch(client, f"{prefix}news:{urlsplit(url).netloc.lower()}")
        with Meter(redis_server) as meter:
            started = time.monotonic()
            for n in range(1, workers + 1):
                log = folder / f"w{workers}-{n}.log"
                children.start(f"w{workers}-{n}", crawl_command(url, {**settings, "ARCHIVE_PATH": absent, "LOG_FILE": log}), log)
            finished = children.wait(watch)
            ended = time.monotonic()
            watch.last = 0.0
            watch()
    check_exits(finished)

    # The ingester alone on the backlog, its list sampled every 10 ms.
    watch.every, watch.full, watch.changes, watch.items_now = 0.01, False, [], None
    watch()
    waiting = watch.items_now or 0
    log = folder / f"w{workers}-ingest.log"
    children.start(f"w{workers}-ingest", ingest_command(url, archive, {
        **{k: v for k, v in settings.items() if k != "DISTRIBUTED"}, "LOG_FILE": log}), log)
    with Meter(redis_server) as ingest_meter:
        (ingested,) = children.wait(watch, every=0.01)
    check_exits([ingested])
    drain_items, drain_seconds = drain(watch.changes[1:], waiting)
    leftover = sorted(k.decode() for k in client.scan_iter(match=f"{prefix}*", count=1000))
    if leftover:  # tidy up for the next configuration; reported
        client.delete(*leftover)
    config = Config(label, workers, finished, started, ended, site.times, Counter(t for t, _ in server.responses),
                    meter.server, meter.redis, count_articles(archive), articles,
                    meter.others(sum(f.cpu for f in finished)), watch, leftover, absent.exists())
    config.ingest = Ingest(ingested, int(ingested.stats.get("aggregator/ingest/items", 0)), config.archived,
                           drain_items, drain_seconds, ingest_meter.others(ingested.cpu))
    return config


def drain(changes: list[tuple[float, int]], waiting: int) -> tuple[int, Optional[float]]:
    """Items committed, and seconds, from the ingester's first commit to its last before closing.

    ``changes``: (time, length) of the items list each time it shrank. The
    last one is the commit at close when it came at least
    ``DISTRIBUTED_IDLE_CLOSE`` seconds after the one before; it is left out.
    """
    idle = float(DISTRIBUTED_SETTINGS["DISTRIBUTED_IDLE_CLOSE"])
    if len(changes) >= 2 and changes[-1][0] - changes[-2][0] >= idle:
        changes = changes[:-1]
    if len(changes) < 2:
        return 0, None
    return changes[0][1] - changes[-1][1], changes[-1][0] - changes[0][0]


# --- Printing -------------------------------------------------------------------------------
def _f(value: Optional[float], spec: str, width: int) -> str:
    return f"{'-':>{width}}" if value is None or value != value else f"{value:>{width}{spec}}"


CRAWL_HEADER = (
    f"{'configuration':<16} {'wall s':>7} {'fetch s':>7} {'pages':>6} {'pages/s':>8} {'fetch p/s':>9} "
    f"{'x 1 wkr':>7} {'x single':>8} {'CPU ms/pg':>9} {'crawl':>6} {'server':>6} {'redis':>6} {'others':>6}\n"
    f"{'':<16} {'':>7} {'':>7} {'':>6} {'':>8} {'':>9} {'':>7} {'':>8} {'':>9} {'cores':>6} {'cores':>6} {'cores':>6} {'cores':>6}"
)


def crawl_row(config: Config, one: Optional[Config], single: Config) -> str:
    return (
        f"{config.label:<16} {config.wall:>7.1f} {_f(config.fetch, '.1f', 7)} {config.pages:>6} {config.rate:>8.1f} "
        f"{_f(config.pages / config.fetch, '.1f', 9)} {_f(config.rate / one.rate if one else None, '.2f', 7)} "
        f"{config.rate / single.rate:>8.2f} {config.cpu / config.pages * 1000:>9.1f} {config.cpu / config.wall:>6.2f} "
        f"{config.server_cpu / config.wall:>6.2f} {_f(config.redis_cpu / config.wall if config.redis_cpu is not None else None, '.2f', 6)} "
        f"{_f(config.other_cpu / config.wall if config.other_cpu is not None else None, '.2f', 6)}"
    )


def worker_detail(config: Config) -> str:
    parts = [
        f"{f.name}: {f.pages} pages, {f.cpu:.1f} s CPU, exit {f.returncode} at +{f.ended - config.started:.1f} s"
        for f in config.finished
    ]
    return "    " + "; ".join(parts)


CHECK_HEADER = (
    f"{'configuration':<16} {'archived':>8} {'check':>8} {'served':>6} {'robots':>6} {'fetched 2+':>10} "
    f"{'items in':>8} {'peak':>6} {'peak':>8} {'keys':>6}\n"
    f"{'':<16} {'':>8} {'':>8} {'':>6} {'.txt':>6} {'(not robots)':>10} {'Redis':>8} {'queue':>6} {'Redis MiB':>8} {'left':>6}"
)


def check_row(config: Config) -> str:
    watch = config.watch
    check = "OK" if config.archived == config.expected else "MISMATCH"
    return (
        f"{config.label:<16} {config.archived:>8} {check:>8} {sum(config.targets.values()):>6} "
        f"{config.targets.get('/robots.txt', 0):>6} {len(config.duplicates):>10} "
        f"{_f(watch.peak_items if watch else None, 'd', 8)} {_f(watch.peak_queue if watch else None, 'd', 6)} "
        f"{_f(watch.peak_memory / 2**20 if watch else None, '.1f', 8)} {_f(len(config.leftover_keys) if watch else None, 'd', 6)}"
    )


INGEST_HEADER = (
    f"{'backlog of':<16} {'items':>6} {'archived':>8} {'wall s':>7} {'open-close':>10} {'drain s':>7} "
    f"{'items/s':>8} {'items/s':>8} {'related':>7} {'CPU':>7} {'others':>6}\n"
    f"{'':<16} {'':>6} {'':>8} {'':>7} {'s':>10} {'':>7} {'wall':>8} {'drain':>8} {'s':>7} {'ms/item':>7} {'cores':>6}"
)


def ingest_row(config: Config) -> str:
    ingest = config.ingest
    assert ingest is not None
    stats = ingest.finished.stats
    drain_rate = ingest.drain_items / ingest.drain_seconds if ingest.drain_seconds else None
    return (
        f"{config.label:<16} {ingest.items:>6} {ingest.archived:>8} {ingest.wall:>7.1f} "
        f"{_f(stats.get('elapsed_time_seconds'), '.1f', 10)} {_f(ingest.drain_seconds, '.1f', 7)} "
        f"{ingest.items / ingest.wall:>8.0f} {_f(drain_rate, '.0f', 8)} "
        f"{_f(stats.get('aggregator/archive/related_seconds'), '.2f', 7)} "
        f"{ingest.finished.cpu / max(1, ingest.items) * 1000:>7.2f} "
        f"{_f(ingest.other_cpu / ingest.wall if ingest.other_cpu is not None else None, '.2f', 6)}"
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles of the served site (default 2000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--quick", action="store_true", help="500 articles")
    parser.add_argument("--redis-url", help="an existing Redis (keys under a unique prefix, deleted after); "
                                            "default: a private redis-server on a free port")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each configuration, wait up to SECONDS for other processes to leave the CPUs idle "
                             "(for shared machines; default 0: no wait)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs and archives (folder printed)")
    args = parser.parse_args(argv)
    if args.quick:
        args.articles = 500
    counts = [int(part) for part in args.workers.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        parser.error("--workers: positive integers, e.g. 1,2,4")
    try:
        import redis  # noqa: F401
        import scrapy
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        raise SystemExit(f"needs the distributed extra (pip install '.[distributed]'): {exc}")
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    configs: list[Config] = []
    try:
        private = None if args.redis_url else RedisServer(folder)
        with (private or _Nothing()) as redis_server:
            redis_url = args.redis_url or redis_server.url
            site = build_demo_site(args.articles)
            print(f"Demo site: {args.articles} articles, {site.real_page_count} HTML pages, served by DemoServer "
                  f"(threads of this process, pages rendered on request); a fresh server per configuration")
            before = machine_busy()
            time.sleep(1.0)
            idle_load = machine_busy() - before if before is not None else None
            print(f"Machine: {os.cpu_count()} CPUs, {_f(idle_load, '.2f', 0)} cores busy before the start (other processes); Python {sys.version.split()[0]}, Scrapy {scrapy.__version__}, "
                  f"scrapy-redis {getattr(scrapy_redis, '__version__', '?')}, Redis "
                  f"{redis_server.version + ' (private, no persistence)' if private else 'at ' + redis_url}")
            print(f"Settings of every crawl: {SETTINGS}; workers also {DISTRIBUTED_SETTINGS}.\n"
                  f"Politeness limits are per worker process: N workers put N times the load on the one site.\n")
            print(CRAWL_HEADER, flush=True)
            wait_quiet(args.wait_quiet, "single process")
            single = run_single(args.articles, folder, redis_server if private else None)
            configs.append(single)
            print(crawl_row(single, None, single), flush=True)
            one: Optional[Config] = None
            run_id = f"bench{os.getpid()}-{int(time.time())}"
            for workers in counts:
                wait_quiet(args.wait_quiet, f"{workers} workers")
                config = run_workers(workers, args.articles, folder, redis_url, redis_server if private else None,
                                     f"{run_id}-w{workers}:")
                configs.append(config)
                one = one or (config if workers == 1 else None)
                print(crawl_row(config, one, single), flush=True)
                print(worker_detail(config), flush=True)
    finally:
        if args.keep_logs:
            print(f"\nLogs and archives kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"\n'pages/s' over wall seconds (start-up and idle-close wait included), 'fetch p/s' over the server's "
          f"first to last answer. 'crawl', 'server', 'redis': CPU seconds / wall seconds of the crawl processes, "
          f"the demo server (this process but its main thread) and redis-server; {os.cpu_count()} cores in all.")
    print("\nChecks (articles archived: by the single crawl, or by the ingester after the workers; site has "
          f"{args.articles}):\n")
    print(CHECK_HEADER)
    for config in configs:
        print(check_row(config))
    for config in configs:
        if config.duplicates:
            print(f"  {config.label}: fetched more than once: {sorted(config.duplicates.items())[:5]}")
        if config.leftover_keys:
            print(f"  {config.label}: Redis keys left after the ingester ended: {config.leftover_keys[:5]}")
        if config.worker_archive_created:
            print(f"  {config.label}: the workers created their ARCHIVE_PATH")
        served = sum(config.targets.values())
        if served != config.pages:
            print(f"  {config.label}: the server answered {served} requests, the crawlers counted {config.pages} responses")

    distributed = [c for c in configs if c.ingest]
    if distributed:
        print(f"\nIngester alone on each backlog (`aggregator ingest`, DISTRIBUTED_IDLE_CLOSE="
              f"{DISTRIBUTED_SETTINGS['DISTRIBUTED_IDLE_CLOSE']} s, archive batches of {ARCHIVE_BATCH_SIZE}):\n")
        print(INGEST_HEADER)
        for config in distributed:
            print(ingest_row(config))
        print("'wall s': the ingest process from start to exit; 'open-close s': Scrapy's elapsed_time_seconds; "
              "'drain s': first to last archive commit before closing (the Redis items list shrinking), i.e. without "
              "start-up, the first batch, the idle-close wait, the last partial batch and the related-articles "
              "computation at close ('related s'). 'items/s drain' = items committed in that window / 'drain s'.")
        fastest = max(distributed, key=lambda c: c.rate)
        produced = fastest.watch.peak_items / fastest.wall if fastest.watch else 0
        rates = [c.ingest.drain_items / c.ingest.drain_seconds for c in distributed if c.ingest and c.ingest.drain_seconds]
        if rates and produced:
            print(f"The fastest crawl ({fastest.label}) produced {produced:.0f} items/s; the ingester drains "
                  f"{min(rates):.0f}-{max(rates):.0f} items/s: {min(rates) / produced:.1f} x or more of that.")
    disturbed = [c.label for c in configs if c.other_cpu is not None and c.other_cpu / c.wall > OTHERS_WARN]
    disturbed += [f"ingest of {c.label}" for c in distributed
                  if c.ingest and c.ingest.other_cpu is not None and c.ingest.other_cpu / c.ingest.wall > OTHERS_WARN]
    if disturbed:
        print(f"\nWARNING: other processes used more than {OTHERS_WARN} of a core during {', '.join(disturbed)} "
              f"(column 'others'): those figures are disturbed; run again on a quiet machine.")
    ok = all(config.ok for config in configs)
    print(f"\nAll checks: {'OK' if ok else 'FAILED'}. Whole run: {time.monotonic() - began:.0f} s")
    return 0 if ok else 1


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        return None


if __name__ == "__main__":
    sys.exit(main())
