"""Sections pipeline: one canonical section path per article.

``Section`` items (the site's menu taxonomy, yielded by the spider from the
home page before any article) build a :class:`aggregator.sections.Taxonomy`;
each ``Article`` then gets ``section`` from
:meth:`~aggregator.sections.Taxonomy.resolve`. A name the taxonomy does not
know is kept as given, never dropped. Stats:
``aggregator/sections/<source>`` (``breadcrumbs``, ``declared``, ``listing``,
``url``, ``unmatched``, ``none``).
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from aggregator.items import Section
from aggregator.sections import Taxonomy


class SectionsPipeline:
    """Give ``Article`` items their section path from the site's menu taxonomy."""

    def __init__(self, stats):
        self.stats = stats
        self.taxonomies: dict[str, Taxonomy] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        taxonomy = self.taxonomies.setdefault(adapter.get("site") or "", Taxonomy())
        if isinstance(item, Section):
            taxonomy.add(item.path, item.url)
            return item
        if "section" not in adapter.field_names():
            return item
        path, source = taxonomy.resolve(
            adapter.get("breadcrumbs") or [],
            adapter.get("articleSection") or [],
            adapter.get("listingSection"),
            adapter.get("url"),
            adapter.get("headline"),
        )
        adapter["section"] = path
        adapter["sectionSource"] = source if path else None
        self.stats.inc_value(f"aggregator/sections/{source}")
        return item
