"""Topic tagging quality and speed.

* **The real set** (``bench/data/topics_real.jsonl``, see
  ``bench/data/TOPICS_GUIDELINE.md`` and ``bench/topics_real.py``): 1,014 real
  articles labelled by two labellers for terrorism, terrorist_attack,
  migration, human_trafficking and migrant_smuggling, split by site into a
  ``tune`` half and an ``eval`` half.  The headline figures are the eval
  half's; the taxonomy was tuned on the tune half only.  The texts are read
  from ../shared/data (``topics_real.load_bodies``); each one's language is
  detected from its text (``parsers.language``), as the pipeline does.
  Cohen's kappa per label is computed from the two labellers' raw answers.
* terrorist_attack against ``terrorism_incident`` in
  ../shared/data/topics-dev/muc4.jsonl (MUC-3/4 wires, "reports a terrorist
  incident"), on the dev split, the train split and all of it;
* the self-written sets, kept as regression figures: migration,
  human_trafficking and migrant_smuggling against
  ``bench/data/topics_labelled.jsonl`` (TOPICS_LABELLED.md), and the tuning
  set ``bench/data/topics_tuning.jsonl`` (TOPICS_TUNING.md; NOT held out);
* tagging speed in articles/s on one core (the whole taxonomy; from the
  process's CPU time, and by the wall clock beside it), and language
  detection speed.

Beside every figure: a naive baseline, one regular expression per topic.

    .venv/bin/python bench/topics.py             # eval half (the figures)
    .venv/bin/python bench/topics.py --half tune # while tuning: neither the eval half nor MUC dev is read

Last line: one JSON object with the figures.  A real-set figure over no
positives (recall) or no tags (precision) is null, not a number.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsflow.config import read_toml  # noqa: E402
from newsflow.records import Article  # noqa: E402
from topics.tagger import tag_article  # noqa: E402
from topics.taxonomy import Taxonomy, compile_taxonomy  # noqa: E402

sys.path.insert(1, str(REPO / "bench"))
import topics_real  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
NAIVE = {
    "terrorism": r"terror",
    "terrorist_attack": r"terror",
    "migration": r"migra|refug|asyl|asile",
    "human_trafficking": r"traffick|traite",
    "migrant_smuggling": r"smuggl|passeur",
}
REAL_TOPICS = ("terrorism", "terrorist_attack", "migration", "human_trafficking", "migrant_smuggling")
HEADLINE_TOPICS = ("terrorism", "migration", "human_trafficking", "migrant_smuggling")
WHEN = datetime(2021, 1, 1, tzinfo=UTC)
Row = tuple[str, str, dict[str, Any], dict[str, Any]]


def prf(gold: list[int], pred: list[int]) -> dict[str, Any]:
    """Precision, recall and F1; precision is None when nothing was tagged,
    recall when there is no positive, F1 when either is None."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = None if p is None or r is None else (2 * p * r / (p + r) if p + r else 0.0)
    return {"precision": p, "recall": r, "f1": f, "n": len(gold), "positives": sum(gold), "tagged": tp + fp}


def article(i: int | str, title: str | None, text: str, lang: str | None) -> Article:
    return Article(article_id=str(i), url="", canonical_url="", source="bench", site="bench", title=title,
                   authors=(), published_at=None, language=lang, text=text, fetched_at=WHEN, http_status=200,
                   extractor="bench")


def tag_all(tx: Taxonomy, articles: list[Article]) -> list[set[str]]:
    return [{t.topic for t in tag_article(a, tx)} for a in articles]


def naive(articles: list[Article], topic: str) -> list[int]:
    pat = re.compile(NAIVE[topic], re.IGNORECASE)
    return [int(bool(pat.search((a.title or "") + " " + a.text))) for a in articles]


def model_cv_f1(name: str) -> float:
    return float(json.loads((REPO / "topics" / "models" / f"{name}.json").read_text(encoding="utf-8"))["cv"]["f1"])


def kappa(a: list[int], b: list[int]) -> float | None:
    """Cohen's kappa of two labellers' 0/1 answers (None when both give one
    answer throughout: agreement by chance is then 1)."""
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe == 1 else (po - pe) / (1 - pe)


def rnd(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def fmt(x: float | None, width: int) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:>{width}.3f}"


def show(table: list[Row]) -> None:
    for topic, data, m, b in table:
        print(f"{topic:<18} {data:<22} {m['n']:>5} {m['positives']:>4} {m['tagged']:>4} {fmt(m['precision'], 6)} "
              f"{fmt(m['recall'], 6)} {fmt(m['f1'], 6)}   {fmt(b['precision'], 7)} {fmt(b['recall'], 7)} "
              f"{fmt(b['f1'], 8)}")


def rows_for(topic: str, data: str, gold: list[int], pred: list[int], base: list[int],
             groups: list[str] | None = None) -> list[Row]:
    """The row over all items, then (with ``groups``) one per group."""
    out: list[Row] = [(topic, data, prf(gold, pred), prf(gold, base))]
    for g in sorted(set(groups or [])):
        idx = [i for i, x in enumerate(groups or []) if x == g]
        out.append((topic, f"  {g}", prf([gold[i] for i in idx], [pred[i] for i in idx]),
                    prf([gold[i] for i in idx], [base[i] for i in idx])))
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median (CPU seconds of this process, wall seconds) of ``repeat`` runs.
    The CPU time is the cost on one core; the wall time also counts the time
    the process waited for a core, which on a shared machine measures the
    other processes too."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED, help="the development data (../shared/data)")
    ap.add_argument("--half", choices=("eval", "tune"), default="eval",
                    help="the real set's half to score (tune while tuning; eval for the figures)")
    ap.add_argument("--real", type=Path, default=REPO / "bench" / "data" / "topics_real.jsonl")
    ap.add_argument("--labelled", type=Path, default=REPO / "bench" / "data" / "topics_labelled.jsonl")
    ap.add_argument("--tuning", type=Path, default=REPO / "bench" / "data" / "topics_tuning.jsonl")
    ap.add_argument("--topics", type=Path, default=REPO / "config" / "topics.toml")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    muc_path = args.shared / "topics-dev" / "muc4.jsonl"
    needed = [muc_path, args.shared / "extraction-corpus", args.shared / "extraction-dev",
              args.shared / "stories-dev" / "ecbplus.jsonl"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        sys.exit(f"bench/topics.py needs the development data in {args.shared} (pass --shared): "
                 f"missing {', '.join(missing)}")
    from parsers.language import detect_language

    tx = compile_taxonomy(read_toml(args.topics))
    keys = {t.key for t in tx.topics}
    attack = "terrorist_attack" if "terrorist_attack" in keys else "terrorism"  # "terrorism" before the split

    # -- the real set, one half
    real_all = read_jsonl(args.real)
    real = [r for r in real_all if r["half"] == args.half]
    bodies = topics_real.load_bodies({r["key"] for r in real}, args.shared)
    real_articles = [article(r["key"], r["title"], bodies[r["key"]], detect_language(bodies[r["key"]], None))
                     for r in real]
    real_tags = tag_all(tx, real_articles)
    real_rows: list[Row] = []
    for topic in REAL_TOPICS:
        if topic not in keys:
            continue
        gold = [r["labels"][topic] for r in real]
        real_rows += rows_for(topic, f"real {args.half}", gold, [int(topic in t) for t in real_tags],
                              naive(real_articles, topic), [r["set"] for r in real])
    kappas = {t: kappa([r["labeller_a"][t] for r in real_all], [r["labeller_b"][t] for r in real_all])
              for t in REAL_TOPICS}

    # -- MUC: terrorist_attack against terrorism_incident
    muc = read_jsonl(muc_path)
    muc_articles = [article(i, None, r["text"], "en") for i, r in enumerate(muc)]
    muc_tags = tag_all(tx, muc_articles)
    base_t = naive(muc_articles, "terrorism")
    muc_rows: list[Row] = []
    # the dev split is held out like the eval half: a tuning run does not score it
    for split in ("dev", "train", "all") if args.half == "eval" else ("train",):
        idx = [i for i, r in enumerate(muc) if split == "all" or r["split"] == split]
        gold = [muc[i]["terrorism_incident"] for i in idx]
        name = {"dev": "muc4 dev", "train": "muc4 train*", "all": "muc4 all*"}[split]
        for topic in dict.fromkeys((attack, "terrorism")):
            muc_rows.append((topic, name, prf(gold, [int(topic in muc_tags[i]) for i in idx]),
                             prf(gold, [base_t[i] for i in idx])))

    # -- the self-written sets
    own = read_jsonl(args.labelled)
    own_articles = [article(i, r["title"], r["text"], r["lang"]) for i, r in enumerate(own)]
    own_tags = tag_all(tx, own_articles)
    own_rows: list[Row] = []
    for topic in ("migration", "human_trafficking", "migrant_smuggling"):
        gold = [r["labels"][topic] for r in own]
        own_rows += rows_for(topic, "own set", gold, [int(topic in t) for t in own_tags], naive(own_articles, topic),
                             [r["lang"] for r in own])
    tuning = read_jsonl(args.tuning)
    tuning_articles = [article(i, r["title"], r["text"], r["lang"]) for i, r in enumerate(tuning)]
    tuning_tags = tag_all(tx, tuning_articles)
    tuning_rows: list[Row] = []
    for topic in ("migration", "human_trafficking", "migrant_smuggling", "terrorism"):
        gold = [r["labels"][topic] for r in tuning]
        tuning_rows += rows_for(topic, "tuning set", gold, [int(topic in t) for t in tuning_tags],
                                naive(tuning_articles, topic), [r["lang"] for r in tuning])

    # -- speed: the whole taxonomy over every article, one process
    corpus = muc_articles + own_articles + tuning_articles + real_articles
    cpu, wall = timed(lambda: [tag_article(a, tx) for a in corpus], args.repeat)
    per_s, per_s_wall = len(corpus) / cpu, len(corpus) / wall
    words = statistics.mean(len(a.text.split()) for a in corpus)
    lang_per_s = len(corpus) / timed(lambda: [detect_language(a.text, None) for a in corpus], args.repeat)[0]

    print(f"taxonomy {tx.version}, {len(tx.topics)} topics")
    print(f"{'topic':<18} {'data':<22} {'n':>5} {'pos':>4} {'tags':>4} {'P':>6} {'R':>6} {'F1':>6}   "
          f"{'naive P':>7} {'naive R':>7} {'naive F1':>8}")
    print(f"---- real set, {args.half} half (per corpus set below each topic) ----")
    show(real_rows)
    print("---- MUC-3/4 (label: reports a terrorist incident) ----")
    show(muc_rows)
    model = tx.get(attack).model
    if model is not None:
        print(f"* the {attack} model ({model.name}) was trained on the MUC train split: those rows are in-sample; "
              f"its 5-fold CV F1 on train is {model_cv_f1(model.name)}")
    print("---- self-written held-out set (regression) ----")
    show(own_rows)
    print("---- tuning set (NOT held out: written to tune the taxonomy, see TOPICS_TUNING.md) ----")
    show(tuning_rows)
    print("kappa (raw labels, both halves): " + ", ".join(
        f"{t} {'undefined' if k is None else f'{k:.3f}'}" for t, k in kappas.items()))
    print(f"speed: {per_s:.0f} articles/s on one core (CPU time; {per_s_wall:.0f} by the wall clock), all "
          f"{len(tx.topics)} topics, mean {words:.0f} words; language detection {lang_per_s:.0f} articles/s; "
          f"median of {args.repeat}")

    def get(table: list[Row], topic: str, data: str, key: str = "f1", naive_: bool = False) -> float | None:
        for t, d, m, b in table:
            if t == topic and d == data:
                return rnd((b if naive_ else m)[key])
        raise KeyError((topic, data))

    out: dict[str, Any] = {"half": args.half}
    for topic in HEADLINE_TOPICS:
        if topic not in keys:
            continue
        for key in ("f1", "precision", "recall"):
            out[f"{topic}_real_{key}"] = get(real_rows, topic, f"real {args.half}", key)
        out[f"{topic}_real_positives"] = get(real_rows, topic, f"real {args.half}", "positives")
        out[f"{topic}_real_tagged"] = get(real_rows, topic, f"real {args.half}", "tagged")
        out[f"naive_{topic}_real_f1"] = get(real_rows, topic, f"real {args.half}", naive_=True)
    if "terrorist_attack" in keys:
        out["terrorist_attack_real_f1"] = get(real_rows, "terrorist_attack", f"real {args.half}")
        out["terrorist_attack_real_positives"] = get(real_rows, "terrorist_attack", f"real {args.half}", "positives")
    if args.half == "eval":
        out[f"{attack}_muc_dev_f1"] = get(muc_rows, attack, "muc4 dev")
        out[f"{attack}_muc_dev_precision"] = get(muc_rows, attack, "muc4 dev", "precision")
        out[f"{attack}_muc_dev_recall"] = get(muc_rows, attack, "muc4 dev", "recall")
        out[f"naive_{attack}_muc_dev_f1"] = get(muc_rows, attack, "muc4 dev", naive_=True)
        out[f"{attack}_muc_all_in_sample_f1"] = get(muc_rows, attack, "muc4 all*")
    if model is not None:
        out[f"{attack}_model_train_cv_f1"] = model_cv_f1(model.name)
    for topic, k in kappas.items():
        out[f"kappa_{topic}"] = rnd(k)
    for topic in ("migration", "human_trafficking", "migrant_smuggling"):
        out[f"{topic}_f1"] = get(own_rows, topic, "own set")
        out[f"{topic}_precision"] = get(own_rows, topic, "own set", "precision")
        out[f"{topic}_recall"] = get(own_rows, topic, "own set", "recall")
        out[f"naive_{topic}_f1"] = get(own_rows, topic, "own set", naive_=True)
    out["articles_per_s"] = round(per_s, 1)
    out["articles_per_s_wall"] = round(per_s_wall, 1)
    out["language_detection_per_s"] = round(lang_per_s, 1)
    out["tuning_set_not_held_out"] = {f"{t}_f1": rnd(m["f1"]) for t, d, m, _ in tuning_rows if d == "tuning set"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
