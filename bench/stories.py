"""Stories benchmark: same-story grouping on ECB+, synthetic near-duplicates,
and assignment of 1,000 new articles against 1,000,000 stored.

    .venv/bin/python bench/stories.py [--data ../shared/data/stories-dev/ecbplus.jsonl] [--scale 1000000]

Everything runs through the production path: ``stories.dedupe.sketch`` ->
``warehouse.stories_store.lookup`` (DuckDB joins) -> ``stories.dedupe.dedupe``
-> ``stories_store.write``, in daily batches, in a temporary warehouse.
Prints a table, and as its last line one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import multiprocessing as mp
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import stories.cluster as cluster  # noqa: E402
from newsflow.records import Article  # noqa: E402
from stories.dedupe import Known, dedupe, fingerprint, sketch  # noqa: E402
from stories.fingerprint import normalise_text  # noqa: E402
from warehouse.stories_store import StoryStore  # noqa: E402
from warehouse.store import Warehouse  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "stories-dev" / "ecbplus.jsonl"


def make_article(aid: str, title: str, text: str, at: datetime, source: str = "s") -> Article:
    url = f"https://{source}.example/{aid}"
    return Article(article_id=aid, url=url, canonical_url=url, source=source, site=f"{source}.example", title=title,
                   authors=(), published_at=at, language="en", text=text, fetched_at=at, http_status=200,
                   extractor="bench")


def run_batches(articles: list[Article], db: Path, batch: timedelta = timedelta(days=1)) -> dict[str, tuple[str, str | None]]:
    """Feed ``articles`` in time-ordered batches through dedupe + the store;
    article_id -> (story_id, duplicate_of)."""
    wh = Warehouse(db)
    wh.migrate()
    store = StoryStore(wh)
    articles = sorted(fingerprint(articles), key=lambda a: (a.published_at, a.article_id))
    out: dict[str, tuple[str, str | None]] = {}
    groups: dict[int, list[Article]] = defaultdict(list)
    t0 = articles[0].published_at
    for a in articles:
        groups[int((a.published_at - t0) / batch)].append(a)
    for _, group in sorted(groups.items()):
        sk = sketch(group)
        result = dedupe(group, Known(stories=store.lookup(sk)), sk)
        store.save(result.story_rows)
        out.update({a.article_id: (a.story_id, a.duplicate_of) for a in result.articles})
    return out


def pairwise(assign: dict[str, str], event: dict[str, str], topic: dict[str, int]) -> dict[str, float]:
    tp = fp = fn = hard = hard_merged = 0
    for a, b in itertools.combinations(sorted(assign), 2):
        same, gold = assign[a] == assign[b], event[a] == event[b]
        tp += same and gold
        fp += same and not gold
        fn += gold and not same
        if topic[a] == topic[b] and not gold:
            hard += 1
            hard_merged += same
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "false_merge": hard_merged / hard if hard else 0.0}


def ecb(path: Path, tmp: Path) -> dict[str, dict[str, float]]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    event = {r["id"]: r["event"] for r in rows}
    topic = {r["id"]: r["topic"] for r in rows}
    arts = [make_article(r["id"], r["title"], r["text"], datetime.fromisoformat(r["published"]), f"o{i % 17}")
            for i, r in enumerate(rows)]
    res = {}
    got = run_batches(arts, tmp / "ecb.duckdb")
    res["method"] = pairwise({k: v[0] for k, v in got.items()}, event, topic)
    title_key = {r["id"]: normalise_text(r["title"]) for r in rows}
    res["title_baseline"] = pairwise(title_key, event, topic)
    # ablation: the same method without the time kernel (best threshold found for it)
    tau, thr = cluster.TAU_DAYS, cluster.JOIN_THRESHOLD
    cluster.TAU_DAYS = 1e9
    try:
        got = run_batches(arts, tmp / "ecb-notime.duckdb")
        res["no_time_kernel"] = pairwise({k: v[0] for k, v in got.items()}, event, topic)
    finally:
        cluster.TAU_DAYS, cluster.JOIN_THRESHOLD = tau, thr
    return res


BOILER_A = "Follow us on Twitter and Facebook for the latest news.\n\nSubscribe to our newsletter: the day's top stories every morning."
BOILER_B = "Copyright 2026 Example Media. All rights reserved.\n\nThis article was first published by our partners. Share this story."


def neardup(path: Path, tmp: Path) -> dict[str, float]:
    """Each ECB+ text as an original, three copies of it (edited headline; a
    paragraph added; other boilerplate), and the other texts of its topic
    (different stories on the same subject) as negatives.

    Texts under 100 words are left out (two lines of boilerplate would be a
    third of them), and so are texts that are themselves copies of an
    earlier one (ECB+ holds a few; exact shingle Jaccard >= 0.3), so the
    negatives really are different stories."""
    rows = []
    kept: list[set[str]] = []
    for line in path.open(encoding="utf-8"):
        r = json.loads(line)
        words = normalise_text(r["text"]).split()
        sh = {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}
        if len(words) >= 100 and all(len(sh & k) / len(sh | k) < 0.3 for k in kept):
            rows.append(r)
            kept.append(sh)
    rng = random.Random(5)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    arts: list[Article] = []
    truth: dict[str, str | None] = {}
    for i, r in enumerate(rows):
        at = t0 + timedelta(minutes=10 * i)
        base = f"{r['text']}\n\n{BOILER_A}"
        oid = f"o{i}"
        arts.append(make_article(oid, r["title"], base, at, "wire"))
        truth[oid] = None
        extra = rng.choice(rows)["text"].split("\n")[0]
        copies = {
            "h": (f"UPDATED: {r['title']} (exclusive)", base),
            "p": (r["title"], f"{r['text']}\n\n{extra}\n\n{BOILER_A}"),
            "b": (r["title"], f"{r['text']}\n\n{BOILER_B}"),
        }
        for tag, (title, text) in copies.items():
            cid = f"{tag}{i}"
            arts.append(make_article(cid, title, text, at + timedelta(hours=2), f"out-{tag}"))
            truth[cid] = oid
    got = run_batches(arts, tmp / "near.duckdb", batch=timedelta(days=3650))
    tp = sum(1 for a, dup in truth.items() if dup is not None and got[a][1] == dup)
    flagged = sum(1 for a in truth if got[a][1] is not None)
    positives = sum(1 for d in truth.values() if d is not None)
    return {"recall": tp / positives, "precision": tp / flagged if flagged else 0.0,
            "pairs": positives, "flagged": flagged, "originals": len(rows)}


# -- scale ----------------------------------------------------------------

VOCAB = 100_000
TOPICS = 5_000


def _word(i: int) -> str:
    return "v" + hashlib.blake2b(str(i).encode(), digest_size=4).hexdigest()


def _synthetic_text(rng: random.Random, topic: int, n: int = 250) -> str:
    topical = [_word(VOCAB + topic * 40 + j) for j in range(40)]
    words = [rng.choice(topical) if rng.random() < 0.25 else _word(int(rng.paretovariate(1.1)) % VOCAB)
             for _ in range(n)]
    return " ".join(words)


def build_store(db: Path, n_stored: int, planted: list[Article]) -> None:
    """``n_stored`` synthetic stored articles over a year: the ``planted``
    ones through the real path, the rest generated in SQL with the same table
    shapes (42 band keys, 30 retrieval keys drawn from the topic's rare words,
    80 + 30 weighted features, a 504-byte signature)."""
    from stories.features import feature_key

    wh = Warehouse(db)
    wh.migrate()
    sk = sketch(planted)
    res = dedupe(fingerprint(planted), Known(), sk)
    StoryStore(wh).save(res.story_rows)
    import pyarrow as pa
    topical = pa.table({"t": pa.array([t for t in range(TOPICS) for _ in range(40)], pa.int32()),
                        "j": pa.array([j for _ in range(TOPICS) for j in range(40)], pa.int32()),
                        "key": pa.array([feature_key("w:" + _word(VOCAB + t * 40 + j))
                                         for t in range(TOPICS) for j in range(40)], pa.int64())})
    # document frequencies of the background vocabulary as a store of n_stored such texts would hold them
    p_word = [(i ** -1.1 - (i + 1) ** -1.1) if i else 0.0 for i in range(VOCAB)]
    vocab_df = pa.table({"key": pa.array([feature_key("w:" + _word(i)) for i in range(VOCAB)], pa.int64()),
                         "df": pa.array([int(n_stored * (1 - (1 - p) ** 190)) + 1 for p in p_word], pa.int32())})
    n = n_stored - len(planted)
    with wh.connect() as con:
        con.register("topical", topical)
        con.register("vocab_df", vocab_df)
        con.execute("CREATE TEMP TABLE syn AS SELECT i, 's' || i AS article_id, 's' || (i // 3) AS story_id,"
                    " TIMESTAMPTZ '2025-12-31 00:00:00+00' - to_seconds((i * 31.5)::BIGINT) AS seen_at,"
                    f" (hash(i) % {TOPICS})::INT AS t FROM range({n}) r(i)")
        con.execute("INSERT INTO story_members SELECT article_id, story_id, NULL, seen_at,"
                    " unhex(repeat(md5(i::VARCHAR), 32))[:504],"
                    " list_transform(range(80), x -> (hash(i, x) >> 1)::BIGINT), list_transform(range(80), x -> 0.11::FLOAT),"
                    " list_transform(range(30), x -> (hash(i, x, 7) >> 1)::BIGINT), list_transform(range(30), x -> 0.18::FLOAT)"
                    " FROM syn")
        con.execute("INSERT INTO story_lsh SELECT (hash(i, b) >> 1)::BIGINT, article_id FROM syn, range(42) b(b)")
        con.execute("INSERT INTO story_keys SELECT tp.key, s.story_id, s.article_id, s.seen_at"
                    " FROM syn s, range(30) k(k) JOIN topical tp ON tp.t = s.t AND tp.j = (hash(s.i, k.k) % 40)::INT")
        con.execute(f"INSERT INTO story_term_df SELECT DISTINCT ON (key) key, {max(1, n_stored // TOPICS)} FROM topical")
        con.execute("INSERT INTO story_term_df SELECT DISTINCT ON (key) key, df FROM vocab_df v"
                    " WHERE NOT EXISTS (SELECT 1 FROM story_term_df d WHERE d.key = v.key)")
        con.execute("CHECKPOINT")


def _assign_worker(db: str, batch: list[Article], q: "mp.Queue[tuple[list[float], float, int, int]]") -> None:
    store = StoryStore(Warehouse(db))
    times = []
    res = None
    for _ in range(3):
        t = time.perf_counter()
        hashed = fingerprint(batch)
        sk = sketch(hashed)
        res = dedupe(hashed, Known(stories=store.lookup(sk)), sk)
        times.append(time.perf_counter() - t)
    assert res is not None
    q.put((times, _peak_rss_mb(), res.duplicates, len({a.story_id for a in res.articles})))


def _peak_rss_mb() -> float:
    """This process's peak RSS.  VmHWM, not ``ru_maxrss``: Linux carries
    ru_maxrss across exec, so a spawned child would report its parent's peak
    (the parent built the 1M-row store)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale(tmp: Path, n_stored: int) -> dict[str, float]:
    rng = random.Random(11)
    now = datetime(2025, 12, 31, tzinfo=UTC)
    planted = [make_article(f"p{i}", f"planted {i}", _synthetic_text(rng, i % TOPICS), now - timedelta(hours=i % 72))
               for i in range(1000)]
    db = tmp / "scale.duckdb"
    t = time.perf_counter()
    build_store(db, n_stored, planted)
    build_s = time.perf_counter() - t
    batch = []
    for i in range(1000):
        if i < 100:  # copies of stored articles, lightly edited
            p = planted[i]
            batch.append(make_article(f"n{i}", "copy", p.text + " plus one more closing line here", now + timedelta(hours=3)))
        else:
            batch.append(make_article(f"n{i}", f"new {i}", _synthetic_text(rng, rng.randrange(TOPICS)),
                                      now + timedelta(hours=rng.randrange(24))))
    q: mp.Queue[tuple[list[float], float, int, int]] = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=_assign_worker, args=(str(db), batch, q))
    proc.start()
    times, rss, dups, stories_n = q.get()
    proc.join()
    return {"median_s": statistics.median(times), "runs": len(times), "all_s": times, "peak_rss_mb": rss,
            "build_s": build_s, "copies_found": dups, "stories": stories_n,
            "db_mb": db.stat().st_size / 1e6, "stored": n_stored}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--scale", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        e = ecb(args.data, tmp)
        nd = neardup(args.data, tmp)
        sc = scale(tmp, args.scale)
    print(f"ECB+ ({args.data.name}): same-story grouping, pairwise over all article pairs")
    print(f"{'method':<44}{'precision':>10}{'recall':>8}{'F1':>8}{'cross-event merges':>20}")
    names = {"title_baseline": "title-only baseline (normalised title match)",
             "no_time_kernel": "avg-link, words+entities, no time kernel",
             "method": "avg-link, words+entities, time kernel (used)"}
    for k in ("title_baseline", "no_time_kernel", "method"):
        m = e[k]
        print(f"{names[k]:<44}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['false_merge']:>19.1%}")
    print(f"\nnear-duplicates (ECB+ texts x 3 kinds of copy, same-topic texts as negatives): "
          f"recall {nd['recall']:.4f}, precision {nd['precision']:.4f} ({nd['originals']} originals >= 100 words, {nd['pairs']} copies, {nd['flagged']} flagged)")
    print(f"\nscale: 1,000 new articles vs {sc['stored']:,} stored (DuckDB {sc['db_mb']:.0f} MB, built in {sc['build_s']:.0f} s)")
    print(f"  assign (sketch + lookup joins + dedupe + clustering): median {sc['median_s']:.2f} s of "
          f"{', '.join(f'{t:.2f}' for t in sc['all_s'])}; peak RSS {sc['peak_rss_mb']:.0f} MB; "
          f"{sc['copies_found']} of 100 planted copies found; {sc['stories']} stories")
    print(json.dumps({
        "pairwise_f1": round(e["method"]["f1"], 4), "pairwise_precision": round(e["method"]["precision"], 4),
        "pairwise_recall": round(e["method"]["recall"], 4),
        "cross_event_false_merge_rate": round(e["method"]["false_merge"], 4),
        "title_baseline_f1": round(e["title_baseline"]["f1"], 4),
        "title_baseline_cross_event_false_merge_rate": round(e["title_baseline"]["false_merge"], 4),
        "no_time_kernel_f1": round(e["no_time_kernel"]["f1"], 4),
        "no_time_kernel_cross_event_false_merge_rate": round(e["no_time_kernel"]["false_merge"], 4),
        "neardup_recall": round(nd["recall"], 4), "neardup_precision": round(nd["precision"], 4),
        "assign_1000_vs_1m_s": round(sc["median_s"], 3), "assign_peak_rss_mb": round(sc["peak_rss_mb"], 1),
        "stored_articles": sc["stored"],
    }))


if __name__ == "__main__":
    main()
