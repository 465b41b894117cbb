"""robots.txt, parsed with Protego (Scrapy's maintained parser, which
supports wildcards, Allow/Disallow precedence and Crawl-delay)."""

from __future__ import annotations

from protego import Protego


class RobotsRules:
    """The rules of one host.  ``None`` text means "no robots.txt": allow all."""

    def __init__(self, text: str | None, *, unavailable: str | None = None) -> None:
        """``unavailable`` is the reason robots.txt could not be read (a 5xx,
        no answer, a refused address); RFC 9309 says to disallow everything
        then, and the reason is what fetches report."""
        self.unavailable = unavailable
        self.disallow_all = unavailable is not None
        self._parser = Protego.parse(text) if text else None

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        if self._parser is None:
            return True
        return bool(self._parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None

    def sitemaps(self) -> list[str]:
        return list(self._parser.sitemaps) if self._parser is not None else []
