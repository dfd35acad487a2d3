"""``cmhash index build|info`` and ``cmhash search``: a collection folder made from a trained
model bundle and a dataset (:mod:`cmhash.search`), and ranked items for a query."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cmhash.errors import InputError


def _build(args: argparse.Namespace) -> int:
    from cmhash.bundle import load_model  # torch: imported when a model is used
    from cmhash.data import load_dataset
    from cmhash.index import list_backends
    from cmhash.search import build_collection

    if args.backend not in list_backends():
        raise InputError(f"unknown backend {args.backend!r}; available: "
                         f"{', '.join(list_backends())}")
    model = load_model(args.model, args.device)
    dataset = load_dataset(args.dataset, args.data_root)
    folder = build_collection(model, dataset, args.out, args.backend, args.cache_dir)
    print(f"collection: {folder} ({model.method}, {model.bits} bits, {args.backend})")
    return 0


def _info(args: argparse.Namespace) -> int:
    from cmhash.index import Collection
    from cmhash.search import MODEL_FOLDER

    with Collection.open(args.folder) as collection:
        info: dict[str, Any] = {m: index.info() for m, index in collection.indexes.items()}
    header = args.folder / MODEL_FOLDER / "model.json"
    if header.is_file():
        model = json.loads(header.read_text())
        info["model"] = {"method": model["method"], "bits": model["bits"],
                         "inputs": {m: e.get("encoder", e["source"])
                                    for m, e in model["inputs"].items()},
                         "training": model.get("training")}
    print(json.dumps(info, indent=2, ensure_ascii=False))
    return 0


def _search(args: argparse.Namespace) -> int:
    from cmhash.search import search_collection

    hits = search_collection(args.folder, text=args.text, image=args.image, k=args.k,
                             target=args.target, device=args.device)
    if args.json:
        print(json.dumps([{"rank": rank, "distance": hit.distance, "id": hit.item.id,
                           "image": hit.item.image, "text": hit.item.text,
                           "labels": list(hit.item.labels)}
                          for rank, hit in enumerate(hits, 1)], indent=2, ensure_ascii=False))
        return 0
    for rank, hit in enumerate(hits, 1):
        text = (hit.item.text or "")[:60]
        print(f"{rank:3d}  d={hit.distance:<3d} id={hit.item.id:<6d} {hit.item.image or '-'}  "
              f"{text!r}  [{', '.join(hit.item.labels)}]")
    return 0


def add_search_commands(commands: Any, data_root: argparse.ArgumentParser,
                        cache_dir: argparse.ArgumentParser,
                        positive: Any) -> None:
    """Register ``index build``, ``index info`` and ``search`` on the subcommand set
    ``commands``."""
    device = argparse.ArgumentParser(add_help=False)
    device.add_argument("--device", help="torch device of the model (default: cpu)")

    index = commands.add_parser("index", help="build and inspect collection folders")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    build = index_commands.add_parser(
        "build", parents=[data_root, cache_dir, device],
        help="encode a dataset with a trained model into a collection folder",
        description="Encode every pair of DATASET (a name or FORMAT:PATH) with the model "
                    "bundle MODEL (a run's model_<bits>/ folder) into an image-code index, a "
                    "text-code index and a payload store in --out, with a copy of the model. "
                    "Features go through the feature cache, so a killed build resumes there.")
    build.add_argument("model", help="a model bundle folder (RUN/model_<bits>)")
    build.add_argument("dataset")
    build.add_argument("--out", required=True, type=Path, help="the new collection folder")
    build.add_argument("--backend", default="flat",
                       help="flat (exact), mih (exact, sub-linear on clustered codes) or a FAISS "
                            "index (faiss-flat, faiss-hnsw, faiss-ivf, faiss-multihash); see "
                            "docs/index.md")
    build.set_defaults(handler=_build)
    info = index_commands.add_parser("info", help="sizes, backend and model of a collection")
    info.add_argument("folder", type=Path)
    info.set_defaults(handler=_info)

    search = commands.add_parser(
        "search", parents=[device], help="the items of a collection nearest to a query",
        description="Rank a collection's items by Hamming distance to a text or an image query "
                    "(by default a text searches the images and an image the texts).")
    search.add_argument("folder", type=Path, help="a collection folder (cmhash index build)")
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument("--text", help="a text query")
    query.add_argument("--image", help="an image file as the query")
    search.add_argument("-k", type=positive, default=10, help="how many items (default 10)")
    search.add_argument("--target", choices=["image", "text"],
                        help="the index to search (default: the other modality's)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=_search)
