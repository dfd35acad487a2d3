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
from cmhash.errors import InputError
from cmhash.methods import list_methods
from cmhash.metrics import (
    DEFAULT_CURVE_DEPTHS,
    DEFAULT_METRICS,
    DIRECTIONS,
    evaluate_code_set,
    plot_pr_curve,
    plot_precision_at_k,
)
from cmhash.pipeline import RunConfig, run
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


def _run(args: argparse.Namespace) -> int:
    config = RunConfig(method=args.method, dataset=args.dataset, protocol=args.protocol,
                       bits=args.bits, params=_parse_params(args.set), seed=args.seed,
                       split_seed=args.split_seed, image_feature=args.image_feature,
                       text_feature=args.text_feature, metrics=args.metrics,
                       directions=args.directions)
    out = args.out or f"runs/{args.method}-{args.dataset}-{args.protocol}-seed{args.seed}"
    run(config, out, args.data_root)
    print(f"run folder: {out}")
    return 0


def _list(args: argparse.Namespace) -> int:
    print("methods:  ", ", ".join(list_methods()))
    print("datasets: ", ", ".join(list_datasets()), "(or FORMAT:PATH, see `cmhash data info -h`)")
    print("protocols:", ", ".join(list_protocols()))
    print("metrics:   map, map@K, map_calc_k, map_calc_k@K, p@K, r@K")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmhash", description="Deep cross-modal hashing.")
    parser.add_argument("--version", action="version", version=f"cmhash {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    data_root = argparse.ArgumentParser(add_help=False)
    data_root.add_argument("--data-root", help="folder holding the named datasets "
                           "(default: $CMHASH_DATA_ROOT or ./data)")
    metric_options = argparse.ArgumentParser(add_help=False)
    metric_options.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS),
                                help="named metrics (default: %(default)s)")
    metric_options.add_argument("--directions", nargs="+", default=["i2t", "t2i"],
                                choices=list(DIRECTIONS))

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

    evaluate = commands.add_parser("evaluate", parents=[metric_options],
                                   help="metrics, JSON report and plots of a codes file")
    evaluate.add_argument("codes", help=".npz or .mat with q_img, q_txt, r_img, r_txt, q_l, r_l")
    evaluate.add_argument("--out", help="output folder (default: the codes file name without "
                                        "its suffix)")
    evaluate.set_defaults(handler=_evaluate)

    train = commands.add_parser("run", parents=[data_root, metric_options],
                                help="train, encode and evaluate a method")
    train.add_argument("--method", required=True, help=", ".join(list_methods()))
    train.add_argument("--dataset", required=True)
    train.add_argument("--protocol", required=True, help=", ".join(list_protocols()))
    train.add_argument("--bits", type=int, nargs="+", default=[16, 32, 64, 128])
    train.add_argument("--seed", type=int, default=0, help="model seed")
    train.add_argument("--split-seed", type=int, help="split seed of a random protocol")
    train.add_argument("--image-feature", help="which stored image feature to use")
    train.add_argument("--text-feature", help="which stored text feature to use")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="a method parameter (JSON value), repeatable")
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
