"""Which side holds MIRFlickr's cross-modal `map` back on the frozen features: label
classifiers on each modality, with one side's labels replaced by the true ones.

    python -m benchmarks.studies.label_ceiling [--data-root DIR] [--hidden 0,1024]
                                               [--epochs 40]

Relevance is "shares at least one of the 24 labels", so an item matters only through its labels.
A classifier per feature (linear, or one ReLU layer; binary cross-entropy on the training pairs)
gives each item label probabilities; items are ranked by the probability that query and
database item share a label, labels taken as independent:

    P(relevant) = 1 − ∏_k (1 − a_k b_k),  ranked by  Σ_k log(1 − a_k b_k), ascending,

with a, b the query's and the item's probabilities, or their true labels (0/1) where that side
is "known".  A column with the database side known estimates how far the query's features can
go when the other modality were perfect (I→T: the image features' share of the gap), the query
side known the other way round; "both predicted" is a real-valued cross-modal ranking with no
binary codes.  Estimates, not bounds: a better classifier raises them, and label independence
is an assumption.

Protocol `mirflickr` (seed 1: 2,000 queries, the other 13,677 pairs the database, 10,000
training pairs); 1,000 training pairs held out (seed 0, as `cmhash run` holds them out) choose
each classifier's epoch by their `map` against the other training pairs' true labels.  The test
queries never choose anything; their `map` is reported.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.validation_protocol import validation_split

#: feature name → (modality, feature spec of dataset_features)
FEATURES = {"image EfficientNet-Lite0": ("image", "efficientnet_lite0"),
            "text tag BoW": ("text", "bow"),
            "text MiniLM": ("text", "minilm")}
QUERY_CHUNK = 100


def mean_average_precision(log_no_match: np.ndarray, relevant: np.ndarray) -> float:
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
    Σ_k log(1 − a_k b_k), a (n_queries, n_labels) and b (n_database, n_labels) each an item's
    label probabilities or its true labels (bool)."""
    a = np.clip(query, 0.0, 1.0 - 1e-6)
    b = np.clip(database, 0.0, 1.0 - 1e-6)
    if database.dtype == bool:
        return np.log1p(-a) @ database.T.astype(np.float64)
    if query.dtype == bool:
        return query.astype(np.float64) @ np.log1p(-b).T
    return np.concatenate([np.log1p(-chunk[:, None, :] * b[None]).sum(axis=2)
                           for chunk in np.split(a, range(QUERY_CHUNK, len(a), QUERY_CHUNK))])


def train_classifier(features: np.ndarray, labels: np.ndarray, held_out: np.ndarray,
                     score: Callable[[np.ndarray], float], hidden: int,
                     epochs: int) -> tuple[nn.Module, int, float]:
    """A label classifier (linear if ``hidden`` is 0, else one ReLU layer with dropout 0.5)
    trained with Adam (lr 1e-3, batch 128); the epoch whose probabilities for the ``held_out``
    features have the best ``score`` is kept: (model, epoch, its score)."""
    torch.manual_seed(0)
    width = features.shape[1]
    model = (nn.Linear(width, labels.shape[1]) if hidden == 0 else
             nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(0.5),
                           nn.Linear(hidden, labels.shape[1])))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.as_tensor(features, dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.float32)
    best = (-1.0, 0, None)
    for epoch in range(1, epochs + 1):
        model.train()
        for batch in torch.randperm(len(x)).split(128):
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        value = score(probabilities(model, held_out))
        if value > best[0]:
            best = (value, epoch, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[2])
    return model, best[1], best[0]


def probabilities(model: nn.Module, features: np.ndarray) -> np.ndarray:
    """The classifier's label probabilities, float64."""
    model.eval()
    with torch.no_grad():
        return torch.sigmoid(model(torch.as_tensor(features, dtype=torch.float32))).double().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--hidden", default="0,1024",
                        help="classifier widths to try (0: linear), comma separated")
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    split = make_split(dataset, "mirflickr")
    protocol = validation_split(split, 1000, 0)
    labels = dataset.labels.astype(bool)
    relevant = {"validation": labels[protocol.queries] @ labels[protocol.fit].T,
                "test": labels[split.query] @ labels[split.database].T}
    print(f"MIRFlickr-25K ({len(dataset):,} pairs), protocol mirflickr: test `map` of "
          f"{len(split.query):,} queries against {len(split.database):,}; classifiers fitted "
          f"on {len(protocol.fit):,} training pairs, epoch chosen on {len(protocol.queries):,} "
          "held out")
    print("Classifiers; `map` of queries ranked by their predicted labels against the database's "
          "true labels")
    print("| query features | classifier | epoch | val map | test map |")
    print("|---|---|---|---|---|")

    def held_out_map(held_out_probabilities: np.ndarray) -> float:
        return mean_average_precision(
            log_no_shared_label(held_out_probabilities, labels[protocol.fit]),
            relevant["validation"])

    predicted = {}
    for name, (modality, spec) in FEATURES.items():
        features = dataset_features(dataset, modality, spec)[0]
        for hidden in (int(h) for h in args.hidden.split(",")):
            model, epoch, val = train_classifier(features[protocol.fit], labels[protocol.fit],
                                                 features[protocol.queries], held_out_map,
                                                 hidden, args.epochs)
            kind = "linear" if hidden == 0 else f"MLP {hidden}"
            predicted[name, kind] = (probabilities(model, features[split.query]),
                                     probabilities(model, features[split.database]))
            test = mean_average_precision(
                log_no_shared_label(predicted[name, kind][0], labels[split.database]),
                relevant["test"])
            print(f"| {name} | {kind} | {epoch} | {val:.4f} | {test:.4f} |", flush=True)
    print("\nCross-modal test `map` with one side's labels known exactly, or neither")
    print("| direction | text features | classifiers | query side known | database side known "
          "| both predicted |")
    print("|---|---|---|---|---|---|")
    query_labels, database_labels = labels[split.query], labels[split.database]
    image = next(iter(FEATURES))
    for (name, kind), text in predicted.items():
        if name == image:
            continue
        for direction, (queries, _), (_, database) in (("I→T", predicted[image, kind], text),
                                                       ("T→I", text, predicted[image, kind])):
            cells = [mean_average_precision(log_no_shared_label(query, db), relevant["test"])
                     for query, db in ((query_labels, database), (queries, database_labels),
                                       (queries, database))]
            print(f"| {direction} | {name} | {kind} | "
                  + " | ".join(f"{c:.4f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
