"""How long and how fast to align the frozen backbone's projections (MITH's and MATH's
aligned-backbone variant): the alignment phase alone, scored on held-out pairs.

    python -m benchmarks.studies.backbone_alignment [--data-root DIR] [--lrs 1e-3,1e-4,3e-5]
                                                    [--epochs 10] [--seed 0]

The phase is the method's own (`TokenHashingMethod._align_step`: the symmetric InfoNCE between
W_i LN(g^i) and W_t LN(g^t), τ = 0.07, Adam at the given rate, batches of 128) on MIRFlickr-25K
(15,677 pairs, protocol `mirflickr` seed 1; cached EfficientNet-Lite0 and MiniLM global
features): the 10,000 training pairs less the 1,000 that `cmhash run` holds out with the run's
seed, so 9,000 pairs.  The projections start from torch's generator seeded with --seed, not
from a run's initialisation.  After every epoch: the mean training NCE, the NCE of the 1,000
held-out pairs among themselves, and the validation `map` (I→T/T→I) of the signs of the 512-d
projections, the 1,000 held-out queries against the first 3,000 training pairs.  Test queries
are not used.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from cmhash.codes import Codes
from cmhash.data import load_dataset, make_split
from cmhash.encoders import Features
from cmhash.inputs import dataset_features
from cmhash.losses.contrastive import info_nce
from cmhash.methods.backbones import FrozenBackbone
from cmhash.methods.mith import MITH
from cmhash.methods.torch_base import TrainingPairs
from cmhash.training import TrainState
from cmhash.validation_protocol import ValidationSplit, validation_split


def held_out_scores(backbone: FrozenBackbone, features: dict[str, Features],
                    protocol: ValidationSplit, labels: np.ndarray) -> str:
    """Held-out NCE and the validation `map` of the projections' signs, both directions."""
    backbone.eval()
    with torch.no_grad():
        queries, database = ({m: backbone.embed_global(x, rows, m) for m, x in features.items()}
                             for rows in (protocol.queries, protocol.database))
    backbone.train()
    held_out = info_nce(queries["image"], queries["text"]).item()
    i2t, t2i = protocol.cross_modal_map(
        *({m: Codes.from_real(x.numpy()) for m, x in side.items()} for side in (queries, database)),
        labels)
    return f"{held_out:.3f} | {i2t:.4f}/{t2i:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--lrs", default="1e-3,1e-4,3e-5")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    protocol = validation_split(make_split(dataset, "mirflickr"), 1000, args.seed,
                                MITH.validation_database_size)
    features = {"image": dataset_features(dataset, "image", "efficientnet_lite0", "tokens")[0],
                "text": dataset_features(dataset, "text", "minilm", "tokens")[0]}
    fit, labels = protocol.fit, dataset.labels
    pooled = {m: Features(np.asarray(x.global_features[fit])) for m, x in features.items()}
    state = TrainState(TrainingPairs(pooled["image"], pooled["text"],
                                     torch.as_tensor(labels[fit])), torch.device("cpu"))
    print("Alignment phase alone, MIRFlickr (EfficientNet-Lite0 + MiniLM global features); "
          f"seed {args.seed}")
    print("| align_lr | epoch | train NCE | held-out NCE | validation map of sign(W LN(g)) "
          "I→T/T→I |")
    print("|---|---|---|---|---|")
    for lr in (float(v) for v in args.lrs.split(",")):
        torch.manual_seed(args.seed)
        method = MITH(bits=16, align_epochs=args.epochs, align_lr=lr)
        method.torch_device_ = torch.device("cpu")
        method._build_backbone({m: x.tokens.shape[2] for m, x in features.items()})
        order = torch.Generator().manual_seed(args.seed + 1)
        print(f"| {lr:g} | 0 | — | "
              f"{held_out_scores(method.backbone_, features, protocol, labels)} |")
        for epoch in range(1, args.epochs + 1):
            losses = [method._align_step(state, rows)["nce"]
                      for rows in torch.randperm(len(fit), generator=order).split(128)]
            print(f"| {lr:g} | {epoch} | {np.mean(losses):.3f} | "
                  f"{held_out_scores(method.backbone_, features, protocol, labels)} |",
                  flush=True)


if __name__ == "__main__":
    main()
