"""Train the English "reports a terrorist incident" model used by the
``terrorist_attack`` topic (see topics/incident.py) on the MUC-3/4 *train* split
only, and write topics/models/incident_en.json.

    .venv/bin/python bench/train_incident.py [--muc PATH] [--check] [--oof PATH]

The model has two parts, both over the binary word and word-bigram features
of topics.incident.features(), each document's vector scaled by
1/sqrt(number of features):

* the main head: logistic regression on "reports an incident", with each
  feature also scaled by its naive-Bayes log-count ratio r (NB-SVM, Wang &
  Manning 2012: a per-feature prior that lets the few clearly incident or
  non-incident words carry weight with little data).  r is folded into the
  stored weights, so the head is scored like a plain linear model;
* one logistic regression per incident type of the MUC templates (attack,
  bombing, kidnapping, arson): each type's vocabulary is more coherent than
  the union's.  Their noisy-or probability u is added to the main logit as
  TYPES_WEIGHT * ln(u / (1 - u)).

The document's logit is that combined logit of the whole text plus
WINDOW_WEIGHT times the highest combined logit of the same weights over
windows of WINDOW tokens starting every WINDOW_STEP tokens
(topics.incident.IncidentModel.window_max): an incident told in one paragraph
of a long wire about something else is diluted in the whole text, not in its
window.  No new weights: the windows are scored by the document model.

Deterministic: vocabulary = features seen in >= MIN_DF train documents
(sorted), full-batch gradient descent with Nesterov momentum for a fixed
number of iterations from zero weights, weights rounded to 4 decimals and
those under PRUNE dropped.  The decision threshold is the combined logit that
maximises F1 over 5-fold cross-validated scores on the train split (folds by
position), so the dev split is never looked at.  The hyper-parameters were
chosen the same way (train-split cross-validation only).  ``--check``
retrains and fails if the stored file differs.
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

from topics.incident import MODELS, TYPES, features, model_from_dict, tokens

MIN_DF = 2
NB_ALPHA = 1.0  # smoothing of the naive-Bayes log-count ratios
L2 = 1e-5  # main head
L2_TYPES = 3e-5  # incident-type heads
TYPES_WEIGHT = 1.0
ITERS = 800
LR = 1.0
MOMENTUM = 0.9
FOLDS = 5
PRUNE = 0.1  # weights smaller than this (after rounding) are dropped
WINDOW = 40  # tokens per window of the window term
WINDOW_STEP = 10
WINDOW_WEIGHT = 1.0


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


def _fit(idx: np.ndarray, doc: np.ndarray, val: np.ndarray, y: np.ndarray, d: int, l2: float) -> tuple[float, np.ndarray]:
    n = len(y)
    # step size from a bound on the curvature of the mean log-loss (rows of the
    # scaled matrix have squared norm <= max row sum of val^2 / 4)
    row2 = np.bincount(doc, weights=val * val, minlength=n)
    lr = min(LR, 1.0 / (0.25 * float(row2.max()) + l2))
    w = np.zeros(d)
    b = 0.0
    vw = np.zeros(d)
    vb = 0.0
    for _ in range(ITERS):
        # Nesterov: gradient at the look-ahead point
        wl = w + MOMENTUM * vw
        bl = b + MOMENTUM * vb
        z = np.bincount(doc, weights=val * wl[idx], minlength=n) + bl
        g = 1 / (1 + np.exp(-z)) - y
        gw = np.bincount(idx, weights=val * g[doc], minlength=d) / n + l2 * wl
        vw = MOMENTUM * vw - lr * gw
        vb = MOMENTUM * vb - lr * float(g.mean())
        w += vw
        b += vb
    return b, w


def _weights(names: list[str], w: np.ndarray) -> dict[str, float]:
    return {x: r for x, v in zip(names, w, strict=True) if abs(r := round(float(v), 4)) >= PRUNE}


def train(docs: list[set[str]], y: np.ndarray, types: dict[str, np.ndarray] | None = None) -> dict:
    """One model: {"bias", "weights", "heads": {type: {"bias", "weights"}}}."""
    df = Counter(x for f in docs for x in f)
    names = sorted(x for x, c in df.items() if c >= MIN_DF)
    vocab = {x: j for j, x in enumerate(names)}
    idx, doc, val = _matrix(docs, vocab)
    d = len(names)
    # naive-Bayes log-count ratio of each feature (binary counts)
    pos = np.bincount(idx, weights=(y[doc] == 1).astype(float), minlength=d) + NB_ALPHA
    neg = np.bincount(idx, weights=(y[doc] == 0).astype(float), minlength=d) + NB_ALPHA
    r = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    b, w = _fit(idx, doc, val * r[idx], y, d, L2)
    model = {"bias": round(b, 4), "weights": _weights(names, w * r), "heads": {}}
    for t, yt in (types or {}).items():
        bt, wt = _fit(idx, doc, val, yt, d, L2_TYPES)
        model["heads"][t] = {"bias": round(bt, 4), "weights": _weights(names, wt)}
    return model


def window() -> dict:
    return {"size": WINDOW, "step": WINDOW_STEP, "weight": WINDOW_WEIGHT}


def logits(texts: list[list[str]], model: dict) -> np.ndarray:
    """The document logit of each token list, computed by
    topics.incident.IncidentModel.logit itself (whole text plus window term)."""
    m = model_from_dict({**model, "types_weight": TYPES_WEIGHT, "window": window()})
    return np.array([m.logit(t) for t in texts])


def best_threshold(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    best = (-1.0, 0.0)
    for t in np.round(np.arange(-3.0, 3.01, 0.05), 2):
        p = z > t
        tp = int((p & (y == 1)).sum())
        f1 = 2 * tp / (2 * tp + int((p & (y == 0)).sum()) + int((~p & (y == 1)).sum()))
        if f1 > best[0] + 1e-12:
            best = (f1, float(t))
    return best


def build(muc: Path, oof_out: Path | None = None) -> dict:
    rows = [json.loads(line) for line in muc.open(encoding="utf-8")]
    train_rows = [r for r in rows if r["split"] == "train"]
    toks = [tokens(r["text"]) for r in train_rows]
    docs = [features(t) for t in toks]
    y = np.array([r["terrorism_incident"] for r in train_rows], dtype=float)
    types = {t: np.array([float(t in r["incident_types"]) for r in train_rows]) for t in TYPES}
    oof = np.zeros(len(docs))
    fold_of = np.arange(len(docs)) % FOLDS
    for k in range(FOLDS):
        tr = [i for i in range(len(docs)) if fold_of[i] != k]
        te = [i for i in range(len(docs)) if fold_of[i] == k]
        m = train([docs[i] for i in tr], y[tr], {t: v[tr] for t, v in types.items()})
        oof[te] = logits([toks[i] for i in te], m)
    cv_f1, threshold = best_threshold(oof, y)
    if oof_out:
        oof_out.write_text(json.dumps({r["id"]: round(float(z), 4) for r, z in zip(train_rows, oof, strict=True)}))
    model = train(docs, y, types)
    return {
        "name": "incident_en",
        "about": "'reports a terrorist incident': a logistic regression on naive-Bayes-scaled binary word+bigram "
                 "features (NB-SVM) plus one logistic regression per MUC incident type (noisy-or, added as a logit); "
                 "features of folded text (digits -> 0) scaled by 1/sqrt(#features); the document's logit adds "
                 "the highest such logit over token windows (window); trained on the MUC-3/4 train "
                 "split only (English); regenerate with bench/train_incident.py",
        "trained_on": {"data": "MUC-3/4 muc4.jsonl, split=train", "documents": len(docs), "positives": int(y.sum())},
        "hyperparameters": {"min_df": MIN_DF, "nb_alpha": NB_ALPHA, "l2": L2, "l2_types": L2_TYPES,
                            "types_weight": TYPES_WEIGHT, "iterations": ITERS, "learning_rate": LR,
                            "momentum": MOMENTUM, "prune": PRUNE, "window": window()},
        "cv": {"folds": FOLDS, "f1": round(cv_f1, 4), "threshold_chosen_on": "train 5-fold out-of-fold logits"},
        "languages": ["en"],
        "threshold": threshold,
        "types_weight": TYPES_WEIGHT,
        "window": window(),
        "bias": model["bias"],
        "weights": dict(sorted(model["weights"].items())),
        "heads": {t: {"bias": h["bias"], "weights": dict(sorted(h["weights"].items()))}
                  for t, h in model["heads"].items()},
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
    print(f"wrote {out.relative_to(REPO)}: {len(model['weights'])} weights, "
          f"{sum(len(h['weights']) for h in model['heads'].values())} in the type heads, "
          f"threshold {model['threshold']}, train 5-fold CV F1 {model['cv']['f1']}")


if __name__ == "__main__":
    main()
