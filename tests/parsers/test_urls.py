from parsers.urls import article_id, canonicalize, resolve, site_of, split_url


def test_canonicalize_drops_tracking_and_fragment() -> None:
    assert canonicalize("https://WWW.Example.com/a/b?utm_source=x&id=3&fbclid=9#frag") == "https://www.example.com/a/b?id=3"


def test_resolve_only_http() -> None:
    assert resolve("https://ex.example/feed/", "/a") == "https://ex.example/a"
    assert resolve("https://ex.example/", "mailto:x@y") is None
    assert resolve("https://ex.example/", None) is None
    assert resolve("https://ex.example/", "http://[x/a") is None  # urllib cannot parse it
    assert resolve("http://[x/", "/a") is None
    assert split_url("http://[x/a") is None
    assert split_url("/author/jane-doe").path == "/author/jane-doe"


def test_ids_are_stable() -> None:
    assert article_id("https://ex.example/a") == article_id("https://ex.example/a")
    assert len(article_id("https://ex.example/a")) == 16
    assert site_of("https://www.ex.example/a") == "ex.example"
