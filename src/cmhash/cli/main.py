"""``cmhash`` — one command with subcommands, each a thin call into the library.

A user's mistake prints one line ``cmhash: error: …`` to stderr and exits with status 2: an
:class:`~cmhash.errors.InputError`, a bad option (argparse's own errors, made one line too), or
an operating-system error about the user's files (a file where a folder should be, a read-only
folder, a full disk).  Anything else is a bug and keeps its traceback.  Commands that compute
limit torch, BLAS and numba to the cores this process may use (``--threads``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from cmhash.cli.search_commands import add_search_commands
from cmhash.codes import load_code_set
from cmhash.data import dataset_info, list_datasets, list_protocols, load_dataset
from cmhash.encoders import create_encoder, encoder_class, feature_cache, list_encoders
from cmhash.errors import InputError
from cmhash.methods import list_methods
from cmhash.metrics import (
    DEFAULT_CURVE_DEPTHS,
    DEFAULT_METRICS,
    DIRECTIONS,
    check_metric_names,
    evaluate_code_set,
    plot_pr_curve,
    plot_precision_at_k,
    require_matplotlib,
)
from cmhash.pipeline import run, train, write_codes
from cmhash.presets import list_presets, preset_path
from cmhash.results import FORMATS, format_rows, gather_rows, plot_validation_curves
from cmhash.run_config import RunConfig, load_run_config, make_run_config
from cmhash.run_evaluation import evaluate_run
from cmhash.utils.atomic import write_atomic, write_json
from cmhash.utils.threads import set_threads
from cmhash.version import __version__

_DEFAULT_DIRECTIONS = ("i2t", "t2i")


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other mistake (see :func:`main`)."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see {self.prog} -h)")


def _count(least: int) -> Any:
    """An argparse type: a whole number ≥ ``least``."""
    def parse(text: str) -> int:
        if not text.lstrip("-").isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {least}, got {text!r}")
        return int(text)
    return parse


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
    if Path(args.codes).is_dir():
        return _evaluate_run(args)
    metrics = args.metrics or list(DEFAULT_METRICS)
    directions = args.directions or list(_DEFAULT_DIRECTIONS)
    check_metric_names(metrics)
    require_matplotlib()  # the plots come last: a missing extra fails before the work
    out = Path(args.out) if args.out else Path(args.codes).with_suffix("")
    if out.exists() and not out.is_dir():
        raise InputError(f"output folder {out} exists and is not a folder")
    code_set = load_code_set(args.codes)
    try:
        report = evaluate_code_set(code_set, tuple(metrics), tuple(directions),
                                   DEFAULT_CURVE_DEPTHS)
    except InputError as e:
        raise InputError(f"{args.codes}: {e}") from None
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
    for spec, modality in ((args.image_encoder, "image"), (args.text_encoder, "text")):
        if spec:
            encoder_class(spec, modality)
    dataset = load_dataset(args.dataset, args.data_root)
    cache = feature_cache(args.cache_dir)
    for spec, modality in ((args.image_encoder, "image"), (args.text_encoder, "text")):
        if not spec:
            continue
        encoder = create_encoder(spec, dataset, modality)
        if args.compile and hasattr(encoder, "compile"):
            encoder.compile = True
        features = cache.encode(dataset, encoder, batch_size=args.batch_size,
                                num_workers=args.workers, skip_unreadable=args.skip_unreadable)
        meta = features.meta
        rate = meta["rows_last_run"] / max(meta["seconds_last_run"], 1e-9)
        shapes = ", ".join(f"{n} {list(a.shape)}" for n, a in (
            ("global", features.global_features), ("tokens", features.tokens)) if a is not None)
        print(f"{encoder.name}: {shapes}; {len(meta['skipped'])} skipped; "
              f"{meta['rows_reused']} reused from other entries; {rate:.1f} items/s when "
              f"computed; {features.path}")
    return 0


def _evaluate_run(args: argparse.Namespace) -> int:
    given = [option for option, value in (("--metrics", args.metrics),
                                          ("--directions", args.directions), ("--out", args.out))
             if value is not None]
    if given:
        raise InputError(f"{args.codes} is a run folder: its metrics and directions are its "
                         f"config.json's, its reports go into it (drop {', '.join(given)})")
    evaluate_run(args.codes)
    print(f"summary: {Path(args.codes) / 'summary.json'}")
    return 0


def _codes(args: argparse.Namespace) -> int:
    write_codes(args.run_dir, args.data_root, device=args.device, cache_dir=args.cache_dir)
    return 0


def _run_config(args: argparse.Namespace) -> tuple[RunConfig, str]:
    """The configuration of ``cmhash run`` or ``cmhash train``, and its run folder."""
    params = _parse_params(args.set)
    if args.device:
        params["device"] = args.device
    given = {"method": args.method, "dataset": args.dataset, "protocol": args.protocol,
             "bits": args.bits, "params": params or None, "seed": args.seed,
             "split_seed": args.split_seed, "image_feature": args.image_feature,
             "text_feature": args.text_feature, "metrics": args.metrics,
             "directions": args.directions, "cache_dir": args.cache_dir,
             "validation_size": args.validation_size, "resume": args.resume or None}
    config_file = preset_path(args.preset) if args.preset else args.config
    config = (load_run_config(config_file, given) if config_file
              else make_run_config(given, f"cmhash {args.command}",
                                   " (give --method, --dataset and --protocol, --preset NAME or "
                                   "--config FILE)"))
    out = args.out or f"runs/{config.method}-{config.dataset}-{config.protocol}-seed{config.seed}"
    return config, out


def _run(args: argparse.Namespace) -> int:
    config, out = _run_config(args)
    step = run if args.command == "run" else train
    step(config, out, args.data_root, overwrite=args.overwrite,
         keep_checkpoints=args.keep_checkpoints)
    print(f"run folder: {out}")
    return 0


def _results(args: argparse.Namespace) -> int:
    if args.out and Path(args.out).is_dir():
        raise InputError(f"--out {args.out} is a folder, not a file")
    rows = gather_rows(args.runs)
    if args.curves:
        require_matplotlib()
        plot_validation_curves(args.runs, args.curves)
    text = format_rows(rows, args.format)
    if args.out:
        write_atomic(args.out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        print(text, end="")
    return 0


def _list(args: argparse.Namespace) -> int:
    if args.what == "presets":
        presets = list_presets()
        width = max(len(preset.name) for preset in presets)
        for preset in presets:
            print(f"{preset.name:<{width}}  {preset.kind:<8}  {preset.description}")
        return 0
    print("methods:  ", ", ".join(list_methods()))
    print("datasets: ", ", ".join(list_datasets()), "(or FORMAT:PATH, see `cmhash data info -h`)")
    print("protocols:", ", ".join(list_protocols()), "(Q, T: counts, or fractions such as 0.1)")
    print("encoders: ", ", ".join(list_encoders()))
    print("metrics:   map, map@K, map_calc_k, map_calc_k@K, p@K, r@K")
    print("presets:  ", ", ".join(preset.name for preset in list_presets()),
          "(cmhash list presets)")
    return 0


def _metric_options(defaults: bool = True) -> argparse.ArgumentParser:
    """--metrics and --directions; with ``defaults=False`` they default to None (``cmhash run``:
    the config file's values, else RunConfig's defaults)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--metrics", nargs="+",
                         default=list(DEFAULT_METRICS) if defaults else None,
                         help=f"named metrics (default: {' '.join(DEFAULT_METRICS)})")
    options.add_argument("--directions", nargs="+",
                         default=list(_DEFAULT_DIRECTIONS) if defaults else None,
                         choices=list(DIRECTIONS), help="default: i2t t2i")
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cmhash", description="Deep cross-modal hashing.")
    parser.add_argument("--version", action="version", version=f"cmhash {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    threads = argparse.ArgumentParser(add_help=False)
    threads.add_argument("--threads", type=_count(1),
                         help="threads of torch, BLAS and numba (default: the cores this "
                              "process may use; 1 is faster when other jobs keep them busy)")
    data_root = argparse.ArgumentParser(add_help=False, parents=[threads])
    data_root.add_argument("--data-root", help="folder holding the named datasets "
                           "(default: $CMHASH_DATA_ROOT, else ./data)")

    data = commands.add_parser("data", help="inspect datasets")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    info = data_commands.add_parser(
        "info", parents=[data_root], help="pairs, labels, vocabulary, images, split sizes",
        description="DATASET is a name (wiki, mirflickr, mirflickr-images) or FORMAT:PATH "
                    "with FORMAT one of wiki, mirflickr, triplet, dcmh, clipmat, folder.")
    info.add_argument("dataset")
    info.add_argument("--protocol", help="also print this protocol's split sizes")
    info.add_argument("--seed", type=_count(0), help="split seed of a random protocol")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=_data_info)

    evaluate = commands.add_parser(
        "evaluate", parents=[_metric_options(defaults=False), threads],
        help="metrics, JSON reports and plots of a codes file or of a run folder",
        description="A run folder: each codes_<bits>.npz evaluated with the run's metrics into "
                    "report_<bits>.json and plots, then summary.json (a report of the current "
                    "codes is kept).")
    evaluate.add_argument("codes", metavar="CODES_OR_RUN_DIR",
                          help="an .npz or .mat with q_img, q_txt, r_img, r_txt, q_l, r_l; or a "
                               "run folder")
    evaluate.add_argument("--out", help="output folder of a codes file (default: its name "
                                        "without the suffix)")
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
    encode.add_argument("--batch-size", type=_count(1), default=64)
    encode.add_argument("--workers", type=_count(0), default=1,
                        help="image loading processes (0: in this process)")
    encode.add_argument("--skip-unreadable", action="store_true",
                        help="record unreadable images and leave them out instead of stopping")
    encode.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                        help="torch.compile the image network (faster on a CPU after a "
                             "one-off compilation)")
    encode.set_defaults(handler=_encode)

    run_options = argparse.ArgumentParser(add_help=False,
                                          parents=[data_root, _metric_options(defaults=False),
                                                   cache_dir])
    config_file = run_options.add_mutually_exclusive_group()
    config_file.add_argument("--preset", help="a packaged run configuration (cmhash list "
                                              "presets); the options below replace its values")
    config_file.add_argument("--config", help="a TOML run configuration file (as a preset's); "
                                              "the options below replace its values")
    run_options.add_argument("--method", help=", ".join(list_methods()))
    run_options.add_argument("--dataset")
    run_options.add_argument("--protocol", help=", ".join(list_protocols())
                             + " (Q, T: counts, or fractions of the pairs such as 0.1)")
    run_options.add_argument("--bits", type=int, nargs="+", help="default: 16 32 64 128")
    run_options.add_argument("--seed", type=int, help="model seed (default 0)")
    run_options.add_argument("--split-seed", type=int, help="split seed of a random protocol")
    run_options.add_argument("--image-feature", help="a stored image feature, or an image encoder "
                                                     "spec (features from the cache)")
    run_options.add_argument("--text-feature", help="a stored text feature, or a text encoder spec")
    run_options.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                             help="a method parameter (JSON value), repeatable")
    run_options.add_argument("--device", help="torch device of a deep method, e.g. cuda")
    run_options.add_argument("--validation-size", type=int,
                             help="training pairs held out to select a deep method's epoch "
                                  "(default: 10%% of the training pairs, at most 2,000; 0: none, "
                                  "the last epoch is kept)")
    run_options.add_argument("--resume", action="store_true",
                             help="continue the run in --out (trained code lengths are kept, "
                                  "a killed training continues from its checkpoint); its "
                                  "configuration must match")
    run_options.add_argument("--overwrite", action="store_true",
                             help="replace another run found in --out (a folder holding the same "
                                  "run is replaced without it, unless --resume)")
    run_options.add_argument("--keep-checkpoints", action="store_true",
                             help="keep the training checkpoints of trained code lengths (removed "
                                  "by default; the model and the training log stay)")
    run_options.add_argument("--out", help="run folder (default: "
                                           "runs/METHOD-DATASET-PROTOCOL-seedN); it belongs to "
                                           "one run")
    commands.add_parser("run", parents=[run_options],
                        help="train, encode and evaluate a method",
                        description="cmhash train, cmhash codes and cmhash evaluate in order."
                        ).set_defaults(handler=_run)
    commands.add_parser("train", parents=[run_options], help="train a method into a run folder",
                        description="A model bundle model_<bits>/ and a training record "
                                    "training_<bits>.json per code length; then cmhash codes "
                                    "RUN_DIR and cmhash evaluate RUN_DIR."
                        ).set_defaults(handler=_run)
    codes = commands.add_parser(
        "codes", parents=[data_root, cache_dir], help="encode a run's query and database pairs",
        description="codes_<bits>.npz per trained code length, through its model bundle, with "
                    "the items' ids (q_id, r_id); a codes file of the current bundle is kept.")
    codes.add_argument("run_dir", metavar="RUN_DIR")
    codes.add_argument("--device", help="torch device (default: the run's)")
    codes.set_defaults(handler=_codes)

    add_search_commands(commands, data_root, cache_dir, _count(1))

    results = commands.add_parser(
        "results", help="the summaries of run folders as one table",
        description="One row per run folder and code length: its metrics, training seconds and "
                    "epochs (from each folder's summary.json).")
    results.add_argument("runs", nargs="+", metavar="RUN_DIR")
    results.add_argument("--format", choices=FORMATS, default="md",
                         help="Markdown (default), CSV or JSON")
    results.add_argument("--out", help="write the table to this file (default: print it)")
    results.add_argument("--curves", metavar="PNG", help="also draw the per-epoch validation "
                                                          "curves of the deep methods' runs")
    results.set_defaults(handler=_results)

    listing = commands.add_parser("list", help="methods, datasets, protocols, metrics, presets")
    listing.add_argument("what", nargs="?", choices=["presets"],
                         help="presets: each preset's name, kind (method or ablation) and "
                              "description")
    listing.set_defaults(handler=_list)
    return parser


def _os_error(e: OSError) -> str:
    """An operating-system error as one line naming its file."""
    reason = e.strerror or str(e)
    files = " -> ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
    return f"{files}: {reason}" if files else reason


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if "threads" in args:  # the commands that compute
            set_threads(args.threads)
        return args.handler(args)
    except InputError as e:
        message = str(e)
    except OSError as e:
        message = _os_error(e)
    print(f"cmhash: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def entry_point() -> None:
    sys.exit(main())
