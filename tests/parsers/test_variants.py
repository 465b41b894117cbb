from __future__ import annotations

import pytest

from parsers.variants import strip_amp_mobile


@pytest.mark.parametrize(("url", "desktop"), [
    ("https://m.example.com/world/story-1", "https://example.com/world/story-1"),
    ("https://amp.example.com/world/story-1", "https://example.com/world/story-1"),
    ("https://www.example.com/world/story-1/amp", "https://www.example.com/world/story-1"),
    ("https://www.example.com/world/story-1/amp/", "https://www.example.com/world/story-1"),
    ("https://www.example.com/amp/world/story-1", "https://www.example.com/world/story-1"),
    ("https://www.example.com/world/story-1.amp.html", "https://www.example.com/world/story-1.html"),
    ("https://www.example.com/world/story-1?amp=1&id=7", "https://www.example.com/world/story-1?id=7"),
    ("https://www.example.com/world/story-1?outputType=amp", "https://www.example.com/world/story-1"),
    ("https://m.example.com/world/story-1/amp?amp", "https://example.com/world/story-1"),
])
def test_amp_and_mobile_variants_map_to_the_desktop_url(url: str, desktop: str) -> None:
    assert strip_amp_mobile(url) == desktop


@pytest.mark.parametrize("url", [
    "https://www.example.com/amplifier-review",
    "https://m.co/story",
    "https://example.com/world/amp-up-the-volume",
    "https://example.com/story?page=2",
    "mailto:desk@example.com",
])
def test_other_urls_are_unchanged(url: str) -> None:
    assert strip_amp_mobile(url) == url
