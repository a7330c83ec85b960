"""The project's own Scrapy signals (connect with ``crawler.signals.connect``)."""

archive_committed = object()
"""Sent by the archive pipeline after a write left nothing pending: every item
that had passed through the pipeline before is in the archive. No arguments.
``aggregator ingest`` (:class:`aggregator.distributed.IngestSpider`) removes
items from Redis only then."""
