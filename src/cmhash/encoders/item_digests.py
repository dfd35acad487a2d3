"""What the feature cache is keyed by: the content of every item an encoder reads.

A text's digest is the SHA-256 of its UTF-8 bytes; an image's is the SHA-256 of its file's
bytes, so an edited caption or a replaced photo gets new features, and a second collection with
the same folder name and file names gets its own.  A file that cannot be read gets the digest of
``"unreadable:" + its path`` (the encoder then names the file, or skips it).

Hashing every byte rather than a file's path, size and modification time was chosen on
measurement (``python -m benchmarks.speed.item_digests_speed``, 2 busy CPU cores): the 15,677
MIRFlickr images (224 MB) take 1.8 s from a cold page cache and 0.6 s warm, against 0.09 s for
``os.stat`` keys and ~10 minutes to encode them; and only content keys see a photo replaced
within the same second, or keep the cache for a copied or restored collection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

DIGEST_BYTES = 32


def _file_digest(path: str) -> bytes:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return hashlib.sha256(f"unreadable:{path}".encode()).digest()
    return digest.digest()


def item_digests(items: Sequence[str], modality: str) -> np.ndarray:
    """SHA-256 of each item's content: image files' bytes (``modality="image"``, ``items`` are
    paths) or texts' UTF-8 bytes; shape (n, 32), uint8."""
    if modality == "image":
        digests = [_file_digest(path) for path in items]
    else:
        # "surrogatepass": a lone surrogate (a JSON "\\ud800" escape) still has a digest
        digests = [hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
                   for text in items]
    return np.frombuffer(b"".join(digests), np.uint8).reshape(len(digests), DIGEST_BYTES)


def content_key(name: str, digests: np.ndarray) -> str:
    """``<name>-<12 hex digits>``: a name for these items, in this order, whatever they are
    called."""
    return f"{name}-{hashlib.sha256(np.ascontiguousarray(digests).tobytes()).hexdigest()[:12]}"
