"""Rich text from users and admins, cleaned to a safe subset of HTML before it is stored.

nh3 (bindings to the Rust ammonia sanitiser) is an allow-list cleaner: unknown tags,
event handlers, ``javascript:`` URLs and styles are dropped.
"""

from __future__ import annotations

from html import unescape

import nh3
from markupsafe import Markup

TAGS = {
    "p", "br", "strong", "em", "u", "s", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
    "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": {"colspan", "rowspan"}}


def sanitize(html: str) -> str:
    """The safe subset of ``html``; store this, never the raw input."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def safe(html: str) -> Markup:
    """Mark stored, sanitised rich text for output; sanitised again in case it predates a rule."""
    return Markup(sanitize(html))


def plain_text(html: str) -> str:
    """The words of rich text without any markup, for search and for plain-text mail."""
    # A space before every tag keeps the words of neighbouring blocks ("<li>a</li><li>b</li>") apart.
    return " ".join(unescape(nh3.clean(html.replace("<", " <"), tags=set())).split())
