"""URLs pipeline: the article's canonical URL in one form."""

from __future__ import annotations

from itemadapter import ItemAdapter

from aggregator.urls import canonical_url


class CanonicalUrlPipeline:
    """Set ``canonicalUrl`` to :func:`aggregator.urls.canonical_url` of the
    page's declared canonical URL (else ``url``): no tracking parameters, no
    fragment. Items without ``url`` (sections) pass through."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if "canonicalUrl" in adapter.field_names() and adapter.get("url"):
            adapter["canonicalUrl"] = canonical_url(adapter.get("canonicalUrl") or adapter["url"])
        return item
