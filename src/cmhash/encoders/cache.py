"""On-disk feature cache: float16 memory-mapped arrays per (items' content, encoder fingerprint).

Layout under the cache root::

    <dataset name>-<hash of the items' digests>/<encoder name>-<fingerprint hash>/
        meta.json        encoder fingerprint, shapes, skipped items (written last)
        items.npy        (n, 32) uint8: the SHA-256 of each item's content
        global.npy       (n, d) float16
        tokens.npy       (n, L, d_token) float16      (encoders with tokens)
        mask.npy         (n, L) bool                  (encoders whose tokens can be padding)

(the arrays as :mod:`cmhash.encoders.stored` lays them out).

The key is the content of what the encoder reads (:mod:`cmhash.encoders.item_digests`: the
texts, or the image files' bytes), not names: an edited caption, a replaced photo or another
collection under the same folder and file names gets its own features.  A new key reuses the
rows of items already encoded by the same encoder under any other key (same digest, same
features) and encodes only the others: editing one caption re-encodes one item.

The items to encode are batched in the encoder's processing order (text encoders: shortest
first, to limit padding).  While encoding, the folder is ``….partial`` holding the reused rows,
the rows still to encode in that order (``todo.npy``) and a ``progress.json`` that records how
many of them are written; rows are flushed before the progress is advanced.  An interrupted run
resumes there with the same batches, so the result is bit-identical to an uninterrupted run;
when all rows are in, the folder is renamed to its final name in one step.  Items are streamed
from disk in batches by a DataLoader (never the whole image set in memory).

An unreadable image stops the run with an error naming it, or, with ``skip_unreadable``, is
recorded in ``meta.json`` and its row is filled with NaN so that it can never pass as a feature.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from cmhash.data import PairedDataset
from cmhash.encoders.base import Encoder, Features
from cmhash.encoders.item_digests import content_key, item_digests
from cmhash.encoders.stored import BATCH_SIZE, array_layout, store_batch
from cmhash.errors import InputError
from cmhash.utils.atomic import write_json

CACHE_FORMAT = 2


@dataclass(kw_only=True)
class CachedFeatures(Features):
    """Cached features of one dataset under one encoder: float16 arrays, read-only memory maps
    (see :class:`~cmhash.encoders.base.Features`), and the cache's record of them.

    Attributes
    ----------
    valid : ndarray of shape (n,), bool — False for items skipped as unreadable
    meta : dict — the fingerprint and the run's record
    path : Path
    """

    valid: np.ndarray
    meta: dict[str, Any]
    path: Path

    @classmethod
    def open(cls, path: Path) -> CachedFeatures:
        meta = json.loads((path / "meta.json").read_text())

        def array(name: str) -> np.ndarray | None:
            file = path / f"{name}.npy"
            return np.load(file, mmap_mode="r") if file.is_file() else None

        global_features = array("global")
        valid = np.ones(len(global_features), bool)
        valid[[s["row"] for s in meta["skipped"]]] = False
        return cls(global_features, array("tokens"), array("mask"), valid=valid, meta=meta,
                   path=path)


def encoder_items(dataset: PairedDataset, encoder: Encoder) -> list[str]:
    """What the encoder reads for each pair: image paths or texts."""
    items = dataset.image_paths if encoder.modality == "image" else dataset.texts
    if items is None:
        what = "image paths" if encoder.modality == "image" else "texts"
        raise InputError(f"dataset {dataset.name!r} has no {what} for encoder {encoder.name!r}")
    return items


class _Loaded(Dataset):
    """The items at ``rows``, loaded by ``encoder.load``; failures come back as messages."""

    def __init__(self, items: list[str], rows: np.ndarray, encoder: Encoder) -> None:
        self.items, self.rows, self.encoder = items, rows, encoder

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[int, Any, str | None]:
        row = int(self.rows[i])
        try:
            return row, self.encoder.load(self.items[row]), None
        except InputError as e:
            return row, None, str(e)


class FeatureCache:
    """Features on disk under ``root`` (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @staticmethod
    def _encoder_folder(encoder: Encoder) -> str:
        return f"{encoder.name}-{encoder.fingerprint_hash()}"

    def path_for(self, dataset: PairedDataset, encoder: Encoder,
                 digests: np.ndarray | None = None) -> Path:
        """Where the features of ``dataset``'s items under ``encoder`` are kept (``digests``:
        the items' digests, if already computed)."""
        if digests is None:
            digests = item_digests(encoder_items(dataset, encoder), encoder.modality)
        return self.root / content_key(dataset.name, digests) / self._encoder_folder(encoder)

    def get(self, dataset: PairedDataset, encoder: Encoder) -> CachedFeatures | None:
        """The cached features, or None if they are not (completely) there."""
        path = self.path_for(dataset, encoder)
        return CachedFeatures.open(path) if (path / "meta.json").is_file() else None

    def encode(self, dataset: PairedDataset, encoder: Encoder, batch_size: int = BATCH_SIZE,
               num_workers: int = 1, skip_unreadable: bool = False,
               progress: bool = True) -> CachedFeatures:
        """Cached features, computing (or resuming) whatever is missing."""
        items = encoder_items(dataset, encoder)
        digests = item_digests(items, encoder.modality)
        final = self.path_for(dataset, encoder, digests)
        if (final / "meta.json").is_file():
            return CachedFeatures.open(final)
        if batch_size < 1:
            raise InputError(f"batch size must be positive, got {batch_size}")
        partial = final.with_name(final.name + ".partial")
        plan = {"format": CACHE_FORMAT, "fingerprint": encoder.fingerprint(), "n": len(items),
                "batch_size": batch_size, "global_dim": encoder.global_dim,
                "token_shape": encoder.token_shape}
        resumed = self._resume_point(partial, plan)
        arrays = self._open_arrays(partial, plan, encoder, fresh=resumed is None)
        if resumed is None:
            rows = self._start(partial, final, encoder, items, digests, arrays)
            start, skipped = 0, []
        else:
            start, skipped = resumed
            rows = np.load(partial / "todo.npy")

        loader = DataLoader(_Loaded(items, rows[start:], encoder), batch_size=batch_size,
                            num_workers=num_workers, collate_fn=list,
                            multiprocessing_context="fork" if num_workers else None)
        bar = tqdm(total=len(rows), initial=start, disable=not progress, unit="item",
                   desc=f"{encoder.name} on {dataset.name}", dynamic_ncols=True)
        started = time.perf_counter()
        done = start
        for batch in loader:
            good = [row for row, _, error in batch if error is None]
            for row, _, error in batch:
                if error is None:
                    continue
                if not skip_unreadable or encoder.modality != "image":
                    raise InputError(f"item {row} ({dataset.ids[row]}): {error}"
                                     + (" (use --skip-unreadable to record and skip it)"
                                        if encoder.modality == "image" else ""))
                skipped.append({"row": row, "id": dataset.ids[row], "error": error})
                for array in arrays.values():
                    array[row] = np.nan if array.dtype != bool else False
            if good:
                store_batch(arrays, good, encoder.encode_loaded(encoder.collate(
                    [loaded for _, loaded, error in batch if error is None])))
            for array in arrays.values():
                array.flush()
            done += len(batch)
            write_json(partial / "progress.json", {"items_done": done, "skipped": skipped})
            bar.update(len(batch))
        bar.close()
        seconds = time.perf_counter() - started
        arrays.clear()  # drop the memory maps before the folder is renamed
        write_json(partial / "meta.json", {
            **plan, "dataset": final.parent.name, "skipped": skipped,
            "rows_reused": len(items) - len(rows), "seconds_last_run": round(seconds, 3),
            "rows_last_run": len(rows) - start, "torch_threads": torch.get_num_threads()})
        (partial / "progress.json").unlink()
        (partial / "todo.npy").unlink()
        if final.exists():  # a concurrent run finished first; keep its identical result
            shutil.rmtree(partial)
        else:
            os.replace(partial, final)
        return CachedFeatures.open(final)

    def _start(self, partial: Path, final: Path, encoder: Encoder, items: list[str],
               digests: np.ndarray, arrays: dict[str, np.memmap]) -> np.ndarray:
        """Fill the rows that other entries hold, and record the rows still to encode, in the
        encoder's processing order (``todo.npy``), and a progress of 0; return those rows."""
        np.save(partial / "items.npy", digests)
        rows = np.flatnonzero(~self._reuse_rows(final, encoder, digests, arrays))
        order = encoder.processing_order([items[r] for r in rows]) if len(rows) else None
        rows = rows if order is None else rows[np.asarray(order, np.int64)]
        np.save(partial / "todo.npy", rows)
        for array in arrays.values():
            array.flush()
        write_json(partial / "progress.json", {"items_done": 0, "skipped": []})
        return rows

    def _reuse_rows(self, final: Path, encoder: Encoder, digests: np.ndarray,
                    arrays: dict[str, np.memmap]) -> np.ndarray:
        """Copy into ``arrays`` the rows of items that another finished entry of the same
        encoder holds (same digest, a readable item); return which rows were filled."""
        wanted: dict[bytes, list[int]] = {}
        for row, digest in enumerate(digests):
            wanted.setdefault(digest.tobytes(), []).append(row)
        filled = np.zeros(len(digests), bool)
        for items_file in sorted(self.root.glob(f"*/{self._encoder_folder(encoder)}/items.npy")):
            donor = items_file.parent
            if donor == final or not (donor / "meta.json").is_file():
                continue
            features = CachedFeatures.open(donor)
            rows, donor_rows = [], []
            for donor_row, digest in enumerate(np.load(items_file)):
                for row in wanted.get(digest.tobytes(), ()):
                    if not filled[row] and features.valid[donor_row]:
                        rows.append(row)
                        donor_rows.append(donor_row)
            if rows:
                source = {"global": features.global_features, "tokens": features.tokens,
                          "mask": features.mask}
                for name, array in arrays.items():
                    array[rows] = source[name][donor_rows]
                filled[rows] = True
            if filled.all():
                break
        return filled

    @staticmethod
    def _resume_point(partial: Path, plan: dict[str, Any]) -> tuple[int, list[dict]] | None:
        """Where an interrupted run of the same plan stopped; None to start afresh (in a new,
        empty ``partial`` folder holding the plan)."""
        progress = partial / "progress.json"
        plan_file = partial / "plan.json"
        if progress.is_file() and plan_file.is_file() and json.loads(
                plan_file.read_text()) == json.loads(json.dumps(plan)):
            record = json.loads(progress.read_text())
            return int(record["items_done"]), list(record["skipped"])
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        write_json(plan_file, plan)
        return None

    @staticmethod
    def _open_arrays(partial: Path, plan: dict[str, Any], encoder: Encoder,
                     fresh: bool) -> dict[str, np.memmap]:
        mode = "w+" if fresh else "r+"
        return {name: np.lib.format.open_memmap(partial / f"{name}.npy", mode=mode, dtype=dtype,
                                                shape=shape if fresh else None)
                for name, (shape, dtype) in array_layout(encoder, plan["n"]).items()}
