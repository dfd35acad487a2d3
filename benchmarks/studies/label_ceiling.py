"""Which modality's frozen features lose more of MIRFlickr's cross-modal `map`: label
classifiers on each, with one side's labels replaced by the true ones.

    python -m benchmarks.studies.label_ceiling [--data-root DIR] [--hidden 0,1024]
                                               [--epochs 100]

Relevance is "shares at least one of the 24 labels", so an item matters only through its labels.
A classifier per feature (linear, or one ReLU layer with dropout 0.5; binary cross-entropy on
the training pairs) gives each item label probabilities; items are ranked by the probability
that query and database item share a label, labels taken as independent:

    P(relevant) = 1 − ∏_k (1 − a_k b_k),  ranked by  Σ_k log(1 − a_k b_k), ascending,

with a, b the query's and the item's probabilities, or their true labels (0/1) where that side
is "known".  With the database side known, a direction shows how far the query modality's
features go if the other modality were perfect; with the query side known, the other way round;
"both predicted" is a real-valued cross-modal ranking with no binary codes.  Estimates, not
bounds: a better classifier raises them, and label independence is an assumption.

Protocol `mirflickr` (seed 1): the 2,000 test queries are ranked against the 3,677 database
pairs outside the 10,000 training pairs, so that every prediction, on either side, is of an item
no classifier was fitted on.  1,000 training pairs held out (seed 0, as `cmhash run` holds them
out) choose each classifier's epoch by their `map` against the other training pairs' true
labels; the test queries never choose anything.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.validation_protocol import validation_split

IMAGE = "image EfficientNet-Lite0"
TEXTS = {"text tag BoW": "bow", "text MiniLM": "minilm"}
QUERY_CHUNK = 100
#: largest a_k b_k taken, so that log(1 − a_k b_k) stays finite where both sides are sure
CLIP = 1.0 - 1e-12


class Predicted(NamedTuple):
    """One classifier's label probabilities for the test queries and the database."""

    query: np.ndarray
    database: np.ndarray


def real_valued_map(log_no_match: np.ndarray, relevant: np.ndarray) -> float:
    """`map` of a real-valued ranking: each query's database items in ascending order of
    ``log_no_match`` (n_queries, n_database), ties by position; ``relevant`` the same shape,
    bool.  Queries with no relevant item are left out, as in `map`."""
    precisions = []
    for start in range(0, len(relevant), QUERY_CHUNK):
        scores, rel = log_no_match[start:start + QUERY_CHUNK], relevant[start:start + QUERY_CHUNK]
        ranked = np.take_along_axis(rel, np.argsort(scores, axis=1, kind="stable"), axis=1)
        hits = np.cumsum(ranked, axis=1)
        ranks = np.arange(1, ranked.shape[1] + 1)
        n_relevant = ranked.sum(axis=1)
        keep = n_relevant > 0
        precisions.append(((hits / ranks) * ranked).sum(axis=1)[keep] / n_relevant[keep])
    return float(np.concatenate(precisions).mean())


def log_no_shared_label(query: np.ndarray, database: np.ndarray) -> np.ndarray:
    """log P(a query shares none of a database item's labels), labels independent:
    Σ_k log(1 − min(a_k b_k, CLIP)), a (n_queries, n_labels) and b (n_database, n_labels) each
    an item's label probabilities (float64) or its true labels (bool).  With one side bool the
    sum is a matrix product of the other side's log(1 − p)."""
    if database.dtype == bool:
        return np.log1p(-np.minimum(query, CLIP)) @ database.T.astype(np.float64)
    if query.dtype == bool:
        return query.astype(np.float64) @ np.log1p(-np.minimum(database, CLIP)).T
    chunks = np.split(query, range(QUERY_CHUNK, len(query), QUERY_CHUNK))
    return np.concatenate([np.log1p(-np.minimum(chunk[:, None, :] * database[None], CLIP))
                           .sum(axis=2) for chunk in chunks])


def probabilities(model: nn.Module, features: np.ndarray) -> np.ndarray:
    """The classifier's label probabilities, the sigmoid taken in float64."""
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(features, dtype=torch.float32))
    return torch.sigmoid(logits.double()).numpy()


def train_classifier(features: np.ndarray, labels: np.ndarray, held_out: np.ndarray,
                     score: Callable[[np.ndarray], float], hidden: int,
                     epochs: int) -> tuple[nn.Module, int, float]:
    """A label classifier (linear if ``hidden`` is 0, else one ReLU layer with dropout 0.5)
    trained with Adam (lr 1e-3, batch 128, seed 0); the epoch whose probabilities for the
    ``held_out`` features have the best ``score`` is kept: (model, epoch, its score)."""
    torch.manual_seed(0)
    width = features.shape[1]
    model = (nn.Linear(width, labels.shape[1]) if hidden == 0 else
             nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(0.5),
                           nn.Linear(hidden, labels.shape[1])))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.as_tensor(features, dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.float32)
    best_score, best_epoch, best_state = -1.0, 0, None
    for epoch in range(1, epochs + 1):
        model.train()
        for batch in torch.randperm(len(x)).split(128):
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        value = score(probabilities(model, held_out))
        if value > best_score:
            best_score, best_epoch = value, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model, best_epoch, best_score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--hidden", default="0,1024",
                        help="classifier widths to try (0: linear), comma separated")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    dataset = load_dataset("mirflickr-images", args.data_root)
    split = make_split(dataset, "mirflickr")
    protocol = validation_split(split, 1000, 0)
    unseen = np.setdiff1d(split.database, split.train)
    labels = dataset.labels.astype(bool)
    query_labels, database_labels = labels[split.query], labels[unseen]
    relevant = {"validation": labels[protocol.queries] @ labels[protocol.fit].T,
                "test": query_labels @ database_labels.T}
    print(f"MIRFlickr-25K ({len(dataset):,} pairs), protocol mirflickr: test `map` of "
          f"{len(split.query):,} queries against the {len(unseen):,} database pairs outside "
          f"the training pairs; classifiers fitted on {len(protocol.fit):,} training pairs, "
          f"epoch (of {args.epochs}) chosen on {len(protocol.queries):,} held out")
    print("\nClassifiers: queries ranked by their predicted labels against the database's true "
          "labels")
    print("| query features | classifier | epoch | val map | test map |")
    print("|---|---|---|---|---|")

    def held_out_map(held_out_probabilities: np.ndarray) -> float:
        return real_valued_map(log_no_shared_label(held_out_probabilities, labels[protocol.fit]),
                               relevant["validation"])

    predicted: dict[tuple[str, str], Predicted] = {}
    features_of = {IMAGE: ("image", "efficientnet_lite0")} | {
        name: ("text", spec) for name, spec in TEXTS.items()}
    for name, (modality, spec) in features_of.items():
        features, valid = dataset_features(dataset, modality, spec)
        assert valid.all(), f"{name}: rows without features"
        for hidden in (int(h) for h in args.hidden.split(",")):
            model, epoch, val = train_classifier(features[protocol.fit], labels[protocol.fit],
                                                 features[protocol.queries], held_out_map,
                                                 hidden, args.epochs)
            kind = "linear" if hidden == 0 else f"MLP {hidden}"
            predicted[name, kind] = Predicted(probabilities(model, features[split.query]),
                                              probabilities(model, features[unseen]))
            test = real_valued_map(log_no_shared_label(predicted[name, kind].query,
                                                       database_labels), relevant["test"])
            print(f"| {name} | {kind} | {epoch} | {val:.4f} | {test:.4f} |", flush=True)
    print("\nCross-modal test `map` with one side's labels known exactly, or neither")
    print("| direction | text features | classifiers | query side known | database side known "
          "| both predicted |")
    print("|---|---|---|---|---|---|")
    for (name, kind), text in predicted.items():
        if name == IMAGE:
            continue
        image = predicted[IMAGE, kind]
        for direction, query, database in (("I→T", image, text), ("T→I", text, image)):
            cells = [real_valued_map(log_no_shared_label(q, db), relevant["test"])
                     for q, db in ((query_labels, database.database),
                                   (query.query, database_labels),
                                   (query.query, database.database))]
            print(f"| {direction} | {name} | {kind} | "
                  + " | ".join(f"{c:.4f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
