"""``cmhash`` — one command with subcommands, each a thin call into the library.

A user's mistake (an :class:`~cmhash.errors.InputError`) prints one line ``cmhash: error: …`` to
stderr and exits with status 2, as argparse does for a bad option; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cmhash.codes import load_code_set
from cmhash.data import dataset_info, list_datasets, list_protocols, load_dataset
from cmhash.encoders import create_encoder, feature_cache, list_encoders
from cmhash.errors import InputError
from cmhash.methods import list_methods
from cmhash.metrics import (
    DEFAULT_CURVE_DEPTHS,
    DEFAULT_METRICS,
    DIRECTIONS,
    evaluate_code_set,
    plot_pr_curve,
    plot_precision_at_k,
    require_matplotlib,
)
from cmhash.pipeline import run
from cmhash.run_config import load_run_config, make_run_config
from cmhash.utils.atomic import write_json
from cmhash.version import __version__


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--set expects KEY=VALUE, got {pair!r}")
        params[key] = _parse_value(value)
    return params


def _data_info(args: argparse.Namespace) -> int:
    info = dataset_info(load_dataset(args.dataset, args.data_root), args.protocol, args.seed)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for key, value in info.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {v}")
        else:
            print(f"{key}: {value}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    require_matplotlib()  # the plots come last: a missing extra fails before the work
    code_set = load_code_set(args.codes)
    report = evaluate_code_set(code_set, tuple(args.metrics), tuple(args.directions),
                               DEFAULT_CURVE_DEPTHS)
    out = Path(args.out) if args.out else Path(args.codes).with_suffix("")
    write_json(out / "report.json", report)
    plot_pr_curve(report, out / "pr.png")
    plot_precision_at_k(report, out / "p_at_k.png")
    for direction, result in report["directions"].items():
        values = "  ".join(f"{k}={v:.4f}" for k, v in result["metrics"].items())
        print(f"{direction}  {values}")
    print(f"report: {out / 'report.json'}")
    return 0


def _encode(args: argparse.Namespace) -> int:
    specs = [s for s in (args.image_encoder, args.text_encoder) if s]
    if not specs:
        raise InputError("name an --image-encoder, a --text-encoder or both")
    dataset = load_dataset(args.dataset, args.data_root)
    cache = feature_cache(args.cache_dir)
    for spec, modality in ((args.image_encoder, "image"), (args.text_encoder, "text")):
        if not spec:
            continue
        encoder = create_encoder(spec, dataset)
        if encoder.modality != modality:
            raise InputError(f"encoder {encoder.name!r} encodes {encoder.modality}, "
                             f"not {modality}")
        if args.compile and hasattr(encoder, "compile"):
            encoder.compile = True
        features = cache.encode(dataset, encoder, batch_size=args.batch_size,
                                num_workers=args.workers, skip_unreadable=args.skip_unreadable)
        meta = features.meta
        rate = meta["rows_last_run"] / max(meta["seconds_last_run"], 1e-9)
        shapes = ", ".join(f"{n} {list(a.shape)}" for n, a in (
            ("global", features.global_features), ("tokens", features.tokens)) if a is not None)
        print(f"{encoder.name}: {shapes}; {len(meta['skipped'])} skipped; "
              f"{rate:.1f} items/s when computed; {features.path}")
    return 0


def _run(args: argparse.Namespace) -> int:
    params = _parse_params(args.set)
    if args.device:
        params["device"] = args.device
    given = {"method": args.method, "dataset": args.dataset, "protocol": args.protocol,
             "bits": args.bits, "params": params or None, "seed": args.seed,
             "split_seed": args.split_seed, "image_feature": args.image_feature,
             "text_feature": args.text_feature, "metrics": args.metrics,
             "directions": args.directions, "cache_dir": args.cache_dir,
             "validation_size": args.validation_size, "resume": args.resume or None}
    config = (load_run_config(args.config, given) if args.config
              else make_run_config(given, "cmhash run (give --method, --dataset and "
                                          "--protocol, or --config FILE)"))
    out = args.out or f"runs/{config.method}-{config.dataset}-{config.protocol}-seed{config.seed}"
    run(config, out, args.data_root)
    print(f"run folder: {out}")
    return 0


def _list(args: argparse.Namespace) -> int:
    print("methods:  ", ", ".join(list_methods()))
    print("datasets: ", ", ".join(list_datasets()), "(or FORMAT:PATH, see `cmhash data info -h`)")
    print("protocols:", ", ".join(list_protocols()))
    print("encoders: ", ", ".join(list_encoders()))
    print("metrics:   map, map@K, map_calc_k, map_calc_k@K, p@K, r@K")
    return 0


def _metric_options(defaults: bool = True) -> argparse.ArgumentParser:
    """--metrics and --directions; with ``defaults=False`` they default to None (``cmhash run``:
    the config file's values, else RunConfig's defaults)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--metrics", nargs="+",
                         default=list(DEFAULT_METRICS) if defaults else None,
                         help=f"named metrics (default: {' '.join(DEFAULT_METRICS)})")
    options.add_argument("--directions", nargs="+", default=["i2t", "t2i"] if defaults else None,
                         choices=list(DIRECTIONS), help="default: i2t t2i")
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmhash", description="Deep cross-modal hashing.")
    parser.add_argument("--version", action="version", version=f"cmhash {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    data_root = argparse.ArgumentParser(add_help=False)
    data_root.add_argument("--data-root", help="folder holding the named datasets "
                           "(default: $CMHASH_DATA_ROOT or ./data)")

    data = commands.add_parser("data", help="inspect datasets")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    info = data_commands.add_parser(
        "info", parents=[data_root], help="pairs, labels, vocabulary, images, split sizes",
        description="DATASET is a name (wiki, mirflickr, mirflickr-images) or FORMAT:PATH "
                    "with FORMAT one of wiki, mirflickr, triplet, dcmh, clipmat, folder.")
    info.add_argument("dataset")
    info.add_argument("--protocol", help="also print this protocol's split sizes")
    info.add_argument("--seed", type=int, help="split seed of a random protocol")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=_data_info)

    evaluate = commands.add_parser("evaluate", parents=[_metric_options()],
                                   help="metrics, JSON report and plots of a codes file")
    evaluate.add_argument("codes", help=".npz or .mat with q_img, q_txt, r_img, r_txt, q_l, r_l")
    evaluate.add_argument("--out", help="output folder (default: the codes file name without "
                                        "its suffix)")
    evaluate.set_defaults(handler=_evaluate)

    cache_dir = argparse.ArgumentParser(add_help=False)
    cache_dir.add_argument("--cache-dir", help="feature cache (default: $CMHASH_CACHE_DIR or "
                                               "~/.cache/cmhash/features)")

    encode = commands.add_parser(
        "encode", parents=[data_root, cache_dir], help="compute and cache features",
        description="Encoders: " + ", ".join(list_encoders()) + "; options as "
                    "NAME:key=value,… (e.g. efficientnet_lite0:image_size=128).")
    encode.add_argument("dataset")
    encode.add_argument("--image-encoder", help="e.g. efficientnet_lite0")
    encode.add_argument("--text-encoder", help="e.g. minilm or bow")
    encode.add_argument("--batch-size", type=int, default=64)
    encode.add_argument("--workers", type=int, default=1, help="image loading processes")
    encode.add_argument("--skip-unreadable", action="store_true",
                        help="record unreadable images and leave them out instead of stopping")
    encode.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                        help="torch.compile the image network (faster on a CPU after a "
                             "one-off compilation)")
    encode.set_defaults(handler=_encode)

    train = commands.add_parser("run", parents=[data_root, _metric_options(defaults=False),
                                                cache_dir],
                                help="train, encode and evaluate a method")
    train.add_argument("--config", help="a TOML run configuration (see configs/); the "
                                        "options below replace its values")
    train.add_argument("--method", help=", ".join(list_methods()))
    train.add_argument("--dataset")
    train.add_argument("--protocol", help=", ".join(list_protocols()))
    train.add_argument("--bits", type=int, nargs="+", help="default: 16 32 64 128")
    train.add_argument("--seed", type=int, help="model seed (default 0)")
    train.add_argument("--split-seed", type=int, help="split seed of a random protocol")
    train.add_argument("--image-feature", help="a stored image feature, or an image encoder "
                                               "spec (features from the cache)")
    train.add_argument("--text-feature", help="a stored text feature, or a text encoder spec")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="a method parameter (JSON value), repeatable")
    train.add_argument("--device", help="torch device of a deep method, e.g. cuda")
    train.add_argument("--validation-size", type=int,
                       help="training pairs held out to select a deep method's epoch "
                            "(default: 10%% of the training pairs, at most 2,000)")
    train.add_argument("--resume", action="store_true",
                       help="continue a killed run from the checkpoints in its run folder")
    train.add_argument("--out", help="run folder (default: runs/METHOD-DATASET-PROTOCOL-seedN)")
    train.set_defaults(handler=_run)

    listing = commands.add_parser("list", help="methods, datasets, protocols and metrics")
    listing.set_defaults(handler=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InputError as e:
        print(f"cmhash: error: {e}", file=sys.stderr)
        return 2


def entry_point() -> None:
    sys.exit(main())
