"""The issue's classical baseline on the shared data, for comparison with the compact model.

TF-IDF word 1-2 + char_wb 2-5 n-grams (sublinear tf), linear SVM (C=1), trained on every train split
in ULASAN_DATA_DIR (SmSA, NusaX-Senti id + en, app reviews with stars 1-2/3/4-5 -> neg/neu/pos).
Prints macro-F1 and accuracy on the valid splits, and 5-fold out-of-fold figures for app reviews
(which have no valid split; the other sources stay in every fold's training data).

As the issue describes it, the baseline trains on every train row, and 46 of them repeat a valid-split
text once case, spacing and punctuation are ignored (25 of NusaX-Senti Indonesian valid's 97 rows are
SmSA train texts). Ulasan's data manifest refuses those texts (leakage), so `--exclude-eval-texts`
drops them here too (same text after lower-casing and collapsing non-word characters) for a
like-for-like comparison with the default package.

A measuring tool only: nothing in Ulasan runs it. It needs Python 3 with scikit-learn and pandas:
  python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn pandas
  (offline here: add --no-index --find-links /opt/pypi/files --find-links /opt/pypi-more/files)
  /tmp/skl/bin/python bench/baseline/tfidf_svm.py [--exclude-eval-texts]   # about 90 s on 2 cores
"""
import os
import re
import sys

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

DATA = os.environ.get("ULASAN_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))


def tsv(name):
    return pd.read_csv(os.path.join(DATA, name), sep="\t", header=None, names=["text", "label"], quoting=3)


def csv(name):
    return pd.read_csv(os.path.join(DATA, name))[["text", "label"]]


def app_reviews():
    app = pd.read_csv(os.path.join(DATA, "app-reviews/train.csv")).dropna(subset=["text", "stars"])
    app["label"] = app.stars.map(lambda s: "negative" if s <= 2 else ("neutral" if s == 3 else "positive"))
    return app[app.text.str.strip() != ""][["text", "label"]].reset_index(drop=True)


def model():
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    return make_pipeline(make_union(words, chars), LinearSVC(C=1.0))


def report(name, y, p):
    print(f"{name:34s} n={len(y):5d}  macro-F1 {f1_score(y, p, average='macro'):.4f}  accuracy {accuracy_score(y, p):.4f}")
    sys.stdout.flush()


def key(text):
    return re.sub(r"\W+", " ", text.lower()).strip()


def main():
    valid = [
        ("SmSA valid", tsv("smsa/valid_preprocess.tsv")),
        ("NusaX-Senti Indonesian valid", csv("nusax/indonesian-valid.csv")),
        ("NusaX-Senti English valid", csv("nusax/english-valid.csv")),
    ]
    held = {key(t) for _, f in valid for t in f.text}
    exclude = "--exclude-eval-texts" in sys.argv[1:]
    drop = (lambda df: df[~df.text.map(key).isin(held)]) if exclude else (lambda df: df)
    smsa, nid, nen, app = tsv("smsa/train_preprocess.tsv"), csv("nusax/indonesian-train.csv"), csv(
        "nusax/english-train.csv"
    ), app_reviews()
    smsa, nid, nen, app = drop(smsa), drop(nid), drop(nen), drop(app).reset_index(drop=True)
    train = pd.concat([smsa, nid, nen, app]).drop_duplicates("text")
    print(f"training rows {len(train)} ({'valid-split texts excluded' if exclude else 'as the issue describes'})")
    m = model().fit(train.text, train.label)
    for name, f in valid:
        report(name, f.label, m.predict(f.text))
    oof = np.empty(len(app), dtype=object)
    others = pd.concat([smsa, nid, nen])
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=42).split(app.text, app.label):
        fold = pd.concat([others, app.iloc[tr]]).drop_duplicates("text")
        oof[te] = model().fit(fold.text, fold.label).predict(app.text.iloc[te])
    report("app reviews, out of fold (all rows)", app.label.values, oof)
    distinct = ~app.text.duplicated().values
    report("app reviews, out of fold (distinct)", app.label.values[distinct], oof[distinct])


if __name__ == "__main__":
    main()
