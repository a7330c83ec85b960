"""Sections pipeline: one canonical section path per article.

``Section`` items (the site's menu taxonomy, yielded by the spider from the
home page before any article) build a :class:`aggregator.sections.Taxonomy`;
each ``Article`` then gets ``section`` from
:meth:`~aggregator.sections.Taxonomy.resolve`. A name the taxonomy does not
know is kept as given, never dropped. Stats:
``aggregator/sections/<source>`` (``breadcrumbs``, ``declared``, ``listing``,
``url``, ``unmatched``, ``none``) per article, and
``aggregator/sections/unmatched_names`` per name kept as given.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter

from aggregator.items import Section
from aggregator.sections import Taxonomy

logger = logging.getLogger(__name__)


class SectionsPipeline:
    """Give ``Article`` items their section paths from the site's menu taxonomy.

    Reads ``SECTION_ALIASES``: ``{"site name for a section": "Menu/Path"}``
    (a dict, or JSON on the command line).
    """

    def __init__(self, stats, aliases=None):
        self.stats = stats
        self.aliases = aliases or {}
        self.taxonomies: dict[str, Taxonomy] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getdict("SECTION_ALIASES"))

    def process_item(self, item):
        adapter = ItemAdapter(item)
        site = adapter.get("site") or ""
        taxonomy = self.taxonomies.get(site)
        if taxonomy is None:
            taxonomy = self.taxonomies[site] = Taxonomy(self.aliases)
        if isinstance(item, Section):
            taxonomy.add(item.path, item.url)
            return item
        if "section" not in adapter.field_names():
            return item
        resolution = taxonomy.resolve(
            adapter.get("breadcrumbs") or [],
            adapter.get("articleSection") or [],
            adapter.get("listingSection"),
            adapter.get("url"),
            adapter.get("headline"),
        )
        adapter["section"] = resolution.section
        adapter["sectionSource"] = resolution.source if resolution.section else None
        adapter["sections"] = resolution.sections
        self.stats.inc_value(f"aggregator/sections/{resolution.source}")
        for name in resolution.unmatched:
            self.stats.inc_value("aggregator/sections/unmatched_names")
            logger.debug("Section %r of %s is not in the menu taxonomy", name, adapter.get("url"))
        return item
