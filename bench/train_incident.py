"""Train the English "reports a terrorist incident" model used by the
``terrorism`` topic (see topics/incident.py) on the MUC-3/4 *train* split
only, and write topics/models/incident_en.json.

    .venv/bin/python bench/train_incident.py [--muc PATH] [--check]

Deterministic: vocabulary = word and bigram features seen in >= MIN_DF train
documents (sorted), full-batch gradient descent with Nesterov momentum for a
fixed number of iterations from zero weights, weights rounded to 4 decimals.
The decision threshold is the logit that maximises F1 over 5-fold
cross-validated scores on the train split (folds by position), so the dev
split is never looked at.  ``--check`` retrains and fails if the stored file
differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from topics.incident import MODELS, features, tokens

MIN_DF = 3
L2 = 1e-4
ITERS = 600
LR = 1.0
MOMENTUM = 0.9
FOLDS = 5
PRUNE = 0.15  # weights smaller than this (after rounding) are dropped


def _matrix(docs: list[set[str]], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx: list[int] = []
    ptr = [0]
    for f in docs:
        idx.extend(sorted(vocab[x] for x in f if x in vocab))
        ptr.append(len(idx))
    lens = np.diff(np.array(ptr))
    # scale by the document's total feature count (known or not), as at tagging time
    scale = np.array([1 / np.sqrt(max(len(f), 1)) for f in docs])
    return np.array(idx, dtype=np.int64), np.repeat(np.arange(len(docs)), lens), np.repeat(scale, lens)


def train(docs: list[set[str]], y: np.ndarray) -> tuple[float, dict[str, float]]:
    df = Counter(x for f in docs for x in f)
    names = sorted(x for x, c in df.items() if c >= MIN_DF)
    vocab = {x: j for j, x in enumerate(names)}
    idx, doc, val = _matrix(docs, vocab)
    n, d = len(docs), len(names)
    w = np.zeros(d)
    b = 0.0
    vw = np.zeros(d)
    vb = 0.0
    for _ in range(ITERS):
        z = np.bincount(doc, weights=val * w[idx], minlength=n) + b
        g = 1 / (1 + np.exp(-z)) - y
        gw = np.bincount(idx, weights=val * g[doc], minlength=d) / n + L2 * w
        vw = MOMENTUM * vw - LR * gw
        vb = MOMENTUM * vb - LR * float(g.mean())
        w += vw
        b += vb
    weights = {x: round(float(v), 4) for x, v in zip(names, w, strict=True) if abs(round(float(v), 4)) >= PRUNE}
    return round(b, 4), weights


def logits(docs: list[set[str]], bias: float, weights: dict[str, float]) -> np.ndarray:
    return np.array([bias + sum(weights.get(x, 0.0) for x in f) / np.sqrt(max(len(f), 1)) for f in docs])


def best_threshold(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    best = (-1.0, 0.0)
    for t in np.round(np.arange(-1.5, 1.51, 0.05), 2):
        p = z > t
        tp = int((p & (y == 1)).sum())
        f1 = 2 * tp / (2 * tp + int((p & (y == 0)).sum()) + int((~p & (y == 1)).sum()))
        if f1 > best[0] + 1e-12:
            best = (f1, float(t))
    return best


def build(muc: Path, oof_out: Path | None = None) -> dict:
    rows = [json.loads(line) for line in muc.open(encoding="utf-8")]
    train_rows = [r for r in rows if r["split"] == "train"]
    docs = [features(tokens(r["text"])) for r in train_rows]
    y = np.array([r["terrorism_incident"] for r in train_rows], dtype=float)
    oof = np.zeros(len(docs))
    fold_of = np.arange(len(docs)) % FOLDS
    for k in range(FOLDS):
        tr = [i for i in range(len(docs)) if fold_of[i] != k]
        te = [i for i in range(len(docs)) if fold_of[i] == k]
        b, w = train([docs[i] for i in tr], y[tr])
        oof[te] = logits([docs[i] for i in te], b, w)
    cv_f1, threshold = best_threshold(oof, y)
    if oof_out:
        oof_out.write_text(json.dumps({r["id"]: round(float(z), 4) for r, z in zip(train_rows, oof, strict=True)}))
    bias, weights = train(docs, y)
    return {
        "name": "incident_en",
        "about": "logistic regression, 'reports a terrorist incident'; binary word+bigram features of folded text "
                 "(digits -> 0), scaled by 1/sqrt(#features); trained on MUC-3/4 train split only (English); "
                 "regenerate with bench/train_incident.py",
        "trained_on": {"data": "MUC-3/4 muc4.jsonl, split=train", "documents": len(docs), "positives": int(y.sum())},
        "hyperparameters": {"min_df": MIN_DF, "l2": L2, "iterations": ITERS, "learning_rate": LR,
                            "momentum": MOMENTUM, "prune": PRUNE},
        "cv": {"folds": FOLDS, "f1": round(cv_f1, 4), "threshold_chosen_on": "train 5-fold out-of-fold logits"},
        "languages": ["en"],
        "threshold": threshold,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--muc", type=Path, default=REPO.parent / "shared" / "data" / "topics-dev" / "muc4.jsonl")
    ap.add_argument("--check", action="store_true", help="retrain and compare with the stored model")
    ap.add_argument("--oof", type=Path, help="also write the train split's out-of-fold logits (JSON) here")
    args = ap.parse_args()
    model = build(args.muc, args.oof)
    text = json.dumps(model, ensure_ascii=False, indent=0, sort_keys=False) + "\n"
    out = MODELS / "incident_en.json"
    if args.check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print("identical" if same else "DIFFERENT")
        sys.exit(0 if same else 1)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}: {len(model['weights'])} weights, threshold {model['threshold']}, "
          f"train 5-fold CV F1 {model['cv']['f1']}")


if __name__ == "__main__":
    main()
