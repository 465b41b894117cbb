"""bench/peers.py without the peer libraries: page folder I/O and the worker's
timing loop and JSON shape, with a fake extractor injected in-process (no
network, no venv)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_peers():
    spec = importlib.util.spec_from_file_location("bench_peers", REPO / "bench" / "peers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


peers = _load_peers()

PAIRS = [
    ("https://example.com/a", b"<html><body><p>alpha story</p></body></html>"),
    ("https://example.com/b", "<html><body><p>caf\u00e9 story</p></body></html>"),  # str -> utf-8
    ("https://example.com/empty", b"<html><body></body></html>"),
    ("https://example.com/latin1",
     b'<html><head><meta charset="iso-8859-1"></head><body><p>na\xefve</p></body></html>'),
]


def fake_extract(html: str, url: str) -> str:
    """Text of the <p>, or raise for one URL, to check error counting."""
    if url.endswith("/boom"):
        raise ValueError("broken page")
    start = html.find("<p>")
    return html[start + 3:html.find("</p>")] if start >= 0 else ""


def test_write_pages_then_read_pages_round_trip(tmp_path):
    n = peers.write_pages(PAIRS, tmp_path / "pages")
    assert n == 4
    manifest = json.loads((tmp_path / "pages" / "manifest.json").read_text())
    assert manifest == {f"{i:05d}.html": url for i, (url, _) in enumerate(PAIRS)}
    assert (tmp_path / "pages" / "00000.html").read_bytes() == PAIRS[0][1]

    pages = peers.read_pages(tmp_path / "pages")
    assert [p.url for p in pages] == [u for u, _ in PAIRS]
    assert "caf\u00e9 story" in pages[1].html
    assert "na\u00efve" in pages[3].html  # decoded with the <meta> charset


def test_write_pages_replaces_an_older_set(tmp_path):
    peers.write_pages(PAIRS, tmp_path)
    peers.write_pages(PAIRS[:1], tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["00000.html"]
    assert len(peers.read_pages(tmp_path)) == 1


def test_read_pages_needs_a_url_for_every_page(tmp_path):
    peers.write_pages(PAIRS[:2], tmp_path)
    (tmp_path / "extra.html").write_bytes(b"<p>x</p>")
    with pytest.raises(peers.PeerError, match="extra.html"):
        peers.read_pages(tmp_path)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(peers.PeerError, match="manifest.json"):
        peers.read_pages(tmp_path)


def test_worker_result_with_injected_extractor(tmp_path):
    pairs = PAIRS + [("https://example.com/boom", b"<p>never extracted</p>")]
    peers.write_pages(pairs, tmp_path)
    calls: list[str] = []

    def counting(html: str, url: str) -> str:
        calls.append(url)
        return fake_extract(html, url)

    result = peers.run_worker("newspaper4k", tmp_path, reps=3, extractor=(counting, "9.9.9"))

    assert set(result) >= {"lib", "version", "pages", "pages_per_s_runs", "pages_per_s", "ok", "chars"}
    assert result["lib"] == "newspaper4k" and result["version"] == "9.9.9"
    assert result["pages"] == 5
    assert len(calls) == 5 * 4  # one warm-up pass + 3 timed passes over every page
    assert len(result["pages_per_s_runs"]) == 3
    assert all(r > 0 for r in result["pages_per_s_runs"])
    assert result["pages_per_s"] == sorted(result["pages_per_s_runs"])[1]  # median of 3
    # the empty page and the page that raised give no text
    assert result["ok"] == 3
    assert result["errors"] == 1
    assert result["chars"] == len("alpha story") + len("caf\u00e9 story") + len("na\u00efve")
    json.dumps(result)  # the worker prints it as one JSON line


def test_time_extractor_measures_the_extraction_time():
    import time

    pages = [peers.PeerPage(f"{i}.html", f"https://e.com/{i}", "<p>x</p>") for i in range(4)]

    def slow(html: str, url: str) -> str:
        time.sleep(0.01)
        return "x"

    result = peers.time_extractor(pages, slow, reps=1)
    # 4 pages x 10 ms: at most ~100 pages/s, and not absurdly slow either
    assert 20 < result["pages_per_s"] <= 100


def test_worker_cli_prints_one_json_line(tmp_path, monkeypatch, capsys):
    peers.write_pages(PAIRS, tmp_path)
    monkeypatch.setattr(peers, "load_extractor", lambda lib: (fake_extract, "0.0"))
    monkeypatch.setattr(peers, "_block_network", lambda: None)  # keep the test process's sockets
    assert peers.main(["--worker", "--lib", "news-please", "--pages", str(tmp_path), "--reps", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["lib"] == "news-please" and result["pages"] == 4 and result["ok"] == 3
    assert len(result["pages_per_s_runs"]) == 2


def test_measure_all_reports_an_install_failure_per_lib(monkeypatch, tmp_path):
    def broken(**_kwargs):
        raise peers.PeerError("pip said no")

    monkeypatch.setattr(peers, "ensure_venv", broken)
    results = peers.measure_all(tmp_path, reps=1)
    assert set(results) == {"newspaper4k", "news-please"}
    assert all("pip said no" in r["error"] for r in results.values())
    summary = peers.summary(results)
    assert summary["newspaper4k_pages_per_s"] is None and summary["news_please_pages_per_s"] is None
    assert "pip said no" in summary["news_please_error"]


def test_ensure_venv_reuses_a_stamped_venv(tmp_path, monkeypatch):
    """A venv whose stamp matches the requirements is returned without running anything."""
    req = tmp_path / "req.txt"
    req.write_text("somepkg==1.0\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / peers.STAMP_NAME).write_text(peers._requirements_hash(req) + "\n")

    def no_subprocess(*args, **kwargs):
        raise AssertionError("should not build")

    monkeypatch.setattr(peers.subprocess, "run", no_subprocess)
    assert peers.ensure_venv(venv, req) == venv / "bin" / "python"
    # a changed requirements file means a rebuild
    req.write_text("somepkg==2.0\n")
    with pytest.raises(AssertionError, match="should not build"):
        peers.ensure_venv(venv, req)
