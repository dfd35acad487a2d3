"""Why MITH fails at 16 bits on MIRFlickr: its loss terms and options changed one at a time.

    python -m benchmarks.studies.mith_ablation [--bits 16] [--epochs 2] [--seed 0]
                                               [--variants defaults,top_k_4,...]

Each variant trains MITH (MIRFlickr, 15,677 pairs, protocol `mirflickr` seed 1, cached
EfficientNet-Lite0 and MiniLM tokens) with the pipeline of `cmhash run` for --epochs epochs
(BertAdam's schedule stretched over them).  Only the validation split is used: 1,000 pairs held
out of the training pairs (with the run's seed), ranked against 3,000 training pairs.  The
table gives the validation `map` of the code after every epoch, and for the kept epoch (the best
one) the `map` of the global and local hashes alone, the number of stuck bits of each (sign the
same for more than 95 % of the 3,000 pairs) and how often their signs agree — as
`benchmarks.studies.token_parts` measures them.  Test queries are not used.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from cmhash.bundle import load_model
from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.methods.mith import MITH
from cmhash.methods.mith_diagnostics import hash_parts, hash_statistics
from cmhash.pipeline import RunConfig, run
from cmhash.results import validated_epochs
from cmhash.validation_protocol import validation_split

#: name → (what it changes, MITH parameters).
VARIANTS: dict[str, tuple[str, dict]] = {
    "defaults": ("the authors' defaults", {}),
    "authors_warmup": ("BertAdam's warm-up as long as in the authors' 30 epochs (119 steps)",
                       {"warmup_steps": 119}),
    "authors_warmup_bf16": ("as authors_warmup, the forward pass under bf16 autocast "
                           "(precision=bfloat16)", {"warmup_steps": 119, "precision": "bfloat16"}),
    "aligned": ("as authors_warmup, the projections first aligned (1 epoch of symmetric "
                "InfoNCE on the global features, Adam 1e-3), then trained at 1e-5",
                {"warmup_steps": 119, "align_epochs": 1, "backbone_lr": 1e-5}),
    "aligned_lr_1e-4": ("as aligned, the projections then trained at 1e-4",
                        {"warmup_steps": 119, "align_epochs": 1, "backbone_lr": 1e-4}),
    "top_k_4": ("LTA keeps each token's top-4 concepts instead of 8", {"top_k": 4}),
    "top_k_16": ("LTA keeps each token's top-16 concepts instead of 8", {"top_k": 16}),
    "no_intra": ("intra weight 0: no likelihood term on the local hashes", {"intra_weight": 0.0}),
    "no_distillation": ("distillation weight 0", {"distillation_weight": 0.0}),
    "contrastive_5": ("contrastive weight δ = 5 instead of 50", {"contrastive_weight": 5.0}),
    "no_contrastive": ("contrastive weight δ = 0", {"contrastive_weight": 0.0}),
    "lr_1e-4": ("hashing-module learning rate 1e-4 instead of 1e-3", {"lr": 1e-4}),
    "likelihood_x2": ("θ = U hᵀ instead of ½ U hᵀ in the likelihood terms (16 bits then span "
                      "the θ range of 32)", {"likelihood_scale": 1.0}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--bits", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seed", type=int, default=0,
                        help="the run's seed: model and validation split (the test split is "
                             "fixed)")
    args = parser.parse_args()
    names = args.variants.split(",")
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        sys.exit(f"mith_ablation: unknown variant {', '.join(unknown)} "
                 f"(known: {', '.join(VARIANTS)})")
    dataset = load_dataset("mirflickr-images", args.data_root)
    # the rows `cmhash run` validates on: it holds out 1,000 pairs with the run's seed
    protocol = validation_split(make_split(dataset, "mirflickr"), 1000, args.seed,
                                MITH.validation_database_size)
    features = {"image": dataset_features(dataset, "image", "efficientnet_lite0", "tokens")[0],
                "text": dataset_features(dataset, "text", "minilm", "tokens")[0]}

    def validation_map(queries: dict, database: dict, part: str) -> str:
        i2t, t2i = protocol.cross_modal_map({m: p.codes(part) for m, p in queries.items()},
                                            {m: p.codes(part) for m, p in database.items()},
                                            dataset.labels)
        return f"{i2t:.4f}/{t2i:.4f}"

    print(f"MITH, {args.bits} bits, {args.epochs} epochs, seed {args.seed}, MIRFlickr "
          "(EfficientNet-Lite0 + MiniLM tokens); validation map I→T/T→I")
    print("| variant | change | code map by epoch | kept | global map | local map | "
          "stuck bits h_g (image/text) | stuck bits h_l (image/text) | sign agreement |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        change, params = VARIANTS[name]
        config = RunConfig(method="mith", dataset="mirflickr-images", protocol="mirflickr",
                           bits=[args.bits], metrics=["map"], image_feature="efficientnet_lite0",
                           text_feature="minilm", seed=args.seed,
                           params={"epochs": args.epochs, **params})
        with tempfile.TemporaryDirectory() as folder:
            run(config, folder, args.data_root, log=lambda _: None)
            report = json.loads((Path(folder) / f"report_{args.bits}.json").read_text())
            validated = validated_epochs(Path(folder) / f"train_{args.bits}" / "train_log.jsonl")
            method = load_model(Path(folder) / f"model_{args.bits}").hashing_method
        curve = ", ".join(f"{r['validation']['i2t_map']:.3f}/{r['validation']['t2i_map']:.3f}"
                          for r in validated)  # the method's epochs
        queries = {m: hash_parts(method, x, m, protocol.queries) for m, x in features.items()}
        database = {m: hash_parts(method, x, m, protocol.database) for m, x in features.items()}
        stats = {m: hash_statistics(parts) for m, parts in database.items()}
        stuck = {part: "/".join(str(stats[m][f"{part} stuck bits"]) for m in features)
                 for part in ("global", "local")}
        agreement = "/".join(f"{stats[m]['sign agreement']:.2f}" for m in features)
        print(f"| {name} | {change} | {curve} | {report['selected_epoch']['epoch']} | "
              f"{validation_map(queries, database, 'global')} | "
              f"{validation_map(queries, database, 'local')} | {stuck['global']} | "
              f"{stuck['local']} | {agreement} |", flush=True)


if __name__ == "__main__":
    main()
