"""A newsletter as one person receives it: in their language, with their own unsubscribe link.

The worker renders it for each recipient, the preview and the test for the admin, all through
``render``, so the preview shows exactly what people get: an HTML part, a plain-text part made
from the same text, and the ``List-Unsubscribe`` headers of one-click unsubscribing (RFC 8058).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup

from core.accounts.models import User
from core.i18n import N_, current_locale, translated
from core.models import Organization
from core.newsletters.models import Newsletter
from core.notifications.mails import environment, unsubscribe_token
from core.richtext import sanitize
from core.settings import Settings

PURPOSE = "newsletter"
"""What its unsubscribe tokens are signed for: they stop the newsletter and nothing else."""
SAMPLE = N_("Test")
"""Before the subject of a test an admin sends to themselves."""


@dataclass
class NewsletterMail:
    subject: str
    text: str
    html: str
    content: Markup
    """The HTML part without its document around it, for the preview page."""
    headers: dict[str, str] = field(default_factory=dict)


def unsubscribe_url(settings: Settings, base_url: str, organization: Organization, user: User) -> str:
    return f"{base_url}/newsletters/unsubscribe/{unsubscribe_token(settings, organization.id, user.id, PURPOSE)}"


def absolute_links(html: str, base_url: str) -> str:
    """Links to a path of the site ("/processes/budget") work in a mail program only with the site's address."""
    # Sanitised HTML writes every attribute the same way (href="..."), so a pattern is enough here.
    return re.sub(r'href="/(?!/)', f'href="{base_url}/', html)


BLOCKS = frozenset({"p", "h2", "h3", "h4", "blockquote", "pre", "ul", "ol", "table", "hr"})


class _Text(HTMLParser):
    """Sanitised rich text as plain text: blocks apart, list items with a dash, links with their address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, int]] = []
        self.preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag in ("br", "tr"):
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        if tag == "pre":
            self.preformatted += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            words = "".join(self.parts[start:]).strip()
            if href and href != words:
                self.parts.append(f" ({href})")
        if tag == "pre":
            self.preformatted = max(0, self.preformatted - 1)

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.preformatted else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_of(html: str) -> str:
    """The plain-text part of a mail from its sanitised HTML."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def render(settings: Settings, registry: Any, organization: Organization, newsletter: Newsletter, user: User,
           base_url: str, locale: str, *, sample: bool = False) -> NewsletterMail:
    """The newsletter for ``user`` in ``locale`` (its text falls back to another language when missing there).

    ``sample`` marks the subject of a test sent to an admin, so it is not taken for the real one.
    """
    env, catalogs = environment(settings, registry)
    unsubscribe = unsubscribe_url(settings, base_url, organization, user)
    token = current_locale.set(locale)
    try:
        body = absolute_links(sanitize(translated(newsletter.body, locale)), base_url)
        subject = " ".join(translated(newsletter.subject, locale).split())  # one line, whatever was stored
        subject = f"{translated(organization.name, locale)}: {subject}"
        if sample:
            subject = f"[{catalogs.gettext(SAMPLE)}] {subject}"
        context = {"user": user, "organization": organization, "site_url": base_url, "unsubscribe_url": unsubscribe,
                   "subject": subject, "locale": locale}
        content = Markup(env.get_template("mails/newsletter_content.html").render(body=Markup(body), **context))
        html = env.get_template("mails/newsletter.html").render(content=content, **context)
        text = env.get_template("mails/newsletter.txt").render(text=text_of(body), **context)
    finally:
        current_locale.reset(token)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return NewsletterMail(subject=subject, text=text, html=html, content=content, headers=headers)
