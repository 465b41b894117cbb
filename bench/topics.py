"""Topic tagging quality and speed.

* terrorism against ``terrorism_incident`` in ../shared/data/topics-dev/muc4.jsonl
  (MUC-3/4 wires; the label means "reports a terrorist incident", narrower
  than "about terrorism"), on the dev split, the train split and all of it;
* migration, human_trafficking and migrant_smuggling against the project's
  own labelled set, bench/data/topics_labelled.jsonl (see TOPICS_LABELLED.md);
* tagging speed in articles/s on one core.

Held out: the labelled set (never used for tuning) and the MUC dev split.
The terrorism topic uses a model trained on the MUC *train* split
(bench/train_incident.py), so the "muc4 train" and "muc4 all" rows are
partly in-sample; the model's 5-fold cross-validated F1 on train is printed
from the model file.  Separately, and NOT held out: the tuning set
bench/data/topics_tuning.jsonl (TOPICS_TUNING.md), written to tune the
taxonomy terms.

Beside every figure: a naive keyword baseline (any of a few obvious stems).

    .venv/bin/python bench/topics.py [--muc PATH] [--labelled PATH]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsflow.config import read_toml  # noqa: E402
from newsflow.records import Article  # noqa: E402
from topics.tagger import tag_article  # noqa: E402
from topics.taxonomy import Taxonomy, compile_taxonomy  # noqa: E402

NAIVE = {
    "terrorism": r"terror",
    "migration": r"migra|refug|asyl|asile",
    "human_trafficking": r"traffick|traite",
    "migrant_smuggling": r"smuggl|passeur",
}
WHEN = datetime(2021, 1, 1, tzinfo=UTC)


def prf(gold: list[int], pred: list[int]) -> dict[str, float]:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "n": len(gold), "positives": sum(gold)}


def article(i: int, title: str | None, text: str, lang: str) -> Article:
    return Article(article_id=str(i), url="", canonical_url="", source="bench", site="bench", title=title,
                   authors=(), published_at=None, language=lang, text=text, fetched_at=WHEN, http_status=200,
                   extractor="bench")


def tagged(tx: Taxonomy, articles: list[Article], topic: str) -> list[int]:
    return [int(any(t.topic == topic for t in tag_article(a, tx))) for a in articles]


def naive(articles: list[Article], topic: str) -> list[int]:
    pat = re.compile(NAIVE[topic], re.IGNORECASE)
    return [int(bool(pat.search((a.title or "") + " " + a.text))) for a in articles]


def model_cv_f1(name: str) -> float:
    return float(json.loads((REPO / "topics" / "models" / f"{name}.json").read_text(encoding="utf-8"))["cv"]["f1"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--muc", type=Path, default=REPO.parent / "shared" / "data" / "topics-dev" / "muc4.jsonl")
    ap.add_argument("--labelled", type=Path, default=REPO / "bench" / "data" / "topics_labelled.jsonl")
    ap.add_argument("--tuning", type=Path, default=REPO / "bench" / "data" / "topics_tuning.jsonl")
    ap.add_argument("--topics", type=Path, default=REPO / "config" / "topics.toml")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not args.muc.exists():
        sys.exit(f"MUC data not found at {args.muc} (pass --muc)")
    tx = compile_taxonomy(read_toml(args.topics))

    muc = [json.loads(line) for line in args.muc.open(encoding="utf-8")]
    muc_articles = [article(i, None, r["text"], "en") for i, r in enumerate(muc)]
    own = [json.loads(line) for line in args.labelled.open(encoding="utf-8")]
    own_articles = [article(i, r["title"], r["text"], r["lang"]) for i, r in enumerate(own)]

    tuning = [json.loads(line) for line in args.tuning.open(encoding="utf-8")]
    tuning_articles = [article(i, r["title"], r["text"], r["lang"]) for i, r in enumerate(tuning)]

    rows: list[tuple[str, str, dict[str, float], dict[str, float]]] = []
    pred_t = tagged(tx, muc_articles, "terrorism")
    base_t = naive(muc_articles, "terrorism")
    for split in ("dev", "train", "all"):
        idx = [i for i, r in enumerate(muc) if split == "all" or r["split"] == split]
        gold = [muc[i]["terrorism_incident"] for i in idx]
        name = {"dev": "muc4 dev", "train": "muc4 train*", "all": "muc4 all*"}[split]
        rows.append(("terrorism", name, prf(gold, [pred_t[i] for i in idx]),
                     prf(gold, [base_t[i] for i in idx])))
    for topic in ("migration", "human_trafficking", "migrant_smuggling"):
        gold = [r["labels"][topic] for r in own]
        rows.append((topic, "own set", prf(gold, tagged(tx, own_articles, topic)), prf(gold, naive(own_articles, topic))))
        for lang in ("en", "fr"):
            idx = [i for i, r in enumerate(own) if r["lang"] == lang]
            g = [gold[i] for i in idx]
            rows.append((topic, f"own set {lang}", prf(g, [tagged(tx, [own_articles[i]], topic)[0] for i in idx]),
                         prf(g, [naive([own_articles[i]], topic)[0] for i in idx])))

    tuning_rows: list[tuple[str, str, dict[str, float], dict[str, float]]] = []
    for topic in ("migration", "human_trafficking", "migrant_smuggling", "terrorism"):
        gold = [r["labels"][topic] for r in tuning]
        pred = tagged(tx, tuning_articles, topic)
        base = naive(tuning_articles, topic)
        tuning_rows.append((topic, "tuning set", prf(gold, pred), prf(gold, base)))
        for lang in ("en", "fr"):
            idx = [i for i, r in enumerate(tuning) if r["lang"] == lang]
            tuning_rows.append((topic, f"tuning set {lang}", prf([gold[i] for i in idx], [pred[i] for i in idx]),
                                prf([gold[i] for i in idx], [base[i] for i in idx])))

    # speed: the whole taxonomy over every article, one process
    corpus = muc_articles + own_articles + tuning_articles
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for a in corpus:
            tag_article(a, tx)
        times.append(time.perf_counter() - t0)
    per_s = len(corpus) / statistics.median(times)
    words = statistics.mean(len(a.text.split()) for a in corpus)

    print(f"taxonomy {tx.version}, {len(tx.topics)} topics")
    print(f"{'topic':<18} {'data':<16} {'n':>5} {'pos':>4} {'P':>6} {'R':>6} {'F1':>6}   {'naive P':>7} {'naive R':>7} {'naive F1':>8}")
    def show(table: list[tuple[str, str, dict[str, float], dict[str, float]]]) -> None:
        for topic, data, m, b in table:
            print(f"{topic:<18} {data:<16} {m['n']:>5} {m['positives']:>4} {m['precision']:>6.3f} {m['recall']:>6.3f} "
                  f"{m['f1']:>6.3f}   {b['precision']:>7.3f} {b['recall']:>7.3f} {b['f1']:>8.3f}")

    show(rows)
    model = tx.get("terrorism").model
    if model is not None:
        print(f"* the terrorism model ({model.name}) was trained on the MUC train split: those rows are in-sample; "
              f"its 5-fold CV F1 on train is {model_cv_f1(model.name)}")
    print("---- tuning set (NOT held out: written to tune the taxonomy, see TOPICS_TUNING.md) ----")
    show(tuning_rows)
    print(f"speed: {per_s:.0f} articles/s on one core (all {len(tx.topics)} topics, mean {words:.0f} words), "
          f"median of {args.repeat}")

    def f(topic: str, data: str, key: str = "f1", naive_: bool = False) -> float:
        for t, d, m, b in rows:
            if t == topic and d == data:
                return round((b if naive_ else m)[key], 4)
        raise KeyError((topic, data))

    # The headline terrorism figures are the held-out dev split: the train
    # split (and so "all") is what the incident model learned from.
    out: dict[str, Any] = {
        "terrorism_f1": f("terrorism", "muc4 dev"), "terrorism_precision": f("terrorism", "muc4 dev", "precision"),
        "terrorism_recall": f("terrorism", "muc4 dev", "recall"),
        "naive_terrorism_f1": f("terrorism", "muc4 dev", naive_=True),
        "terrorism_all_in_sample_f1": f("terrorism", "muc4 all*"),
    }
    if model is not None:
        out["terrorism_model_train_cv_f1"] = model_cv_f1(model.name)
    for topic in ("migration", "human_trafficking", "migrant_smuggling"):
        out[f"{topic}_f1"] = f(topic, "own set")
        out[f"{topic}_precision"] = f(topic, "own set", "precision")
        out[f"{topic}_recall"] = f(topic, "own set", "recall")
        out[f"naive_{topic}_f1"] = f(topic, "own set", naive_=True)
    out["articles_per_s"] = round(per_s, 1)
    out["tuning_set_not_held_out"] = {f"{t}_f1": round(m["f1"], 4) for t, d, m, _ in tuning_rows if d == "tuning set"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
