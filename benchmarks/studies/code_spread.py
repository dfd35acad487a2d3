"""How spread trained codes are around their label groups: the ``--flip`` and ``--prototypes`` of
``benchmarks.speed.search_speed``'s learned-like codes, measured on a run's codes file.

The database codes of each modality are grouped by their label set (items with the same labels);
a group's prototype is its bitwise majority code; the flip rate is the mean fraction of bits in
which a code differs from its group's prototype (groups of one item left out), over all codes of
the groups kept.  The number of groups is the number of prototypes.

    python -m benchmarks.studies.code_spread RUN/codes_64.npz
"""

from __future__ import annotations

import argparse

import numpy as np

from cmhash.codes import load_code_set


def spread(bits: np.ndarray, labels: np.ndarray) -> tuple[float, int, int]:
    """(mean flip rate, groups of two or more, codes in them) of unpacked codes ``bits``
    (n, K) in {0, 1} grouped by the rows of ``labels``."""
    _, group = np.unique(labels, axis=0, return_inverse=True)
    group = group.ravel()
    sizes = np.bincount(group)
    kept = sizes[group] >= 2
    ones = np.zeros((len(sizes), bits.shape[1]))
    np.add.at(ones, group, bits)
    prototypes = ones * 2 >= sizes[:, None]  # majority; a tie counts as 1
    differs = (bits != prototypes[group]).mean(axis=1)
    return float(differs[kept].mean()), int((sizes >= 2).sum()), int(kept.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("codes", help="a codes file (q_img, q_txt, r_img, r_txt, q_l, r_l)")
    args = parser.parse_args()
    code_set = load_code_set(args.codes)
    print(f"{args.codes}: {len(code_set.database_labels)} database codes, "
          f"{code_set.database_image.bits} bits")
    print("| codes | flip rate | label groups (≥ 2 items) | codes in them |")
    print("|---|---|---|---|")
    for name, codes in (("image", code_set.database_image), ("text", code_set.database_text)):
        bits = np.unpackbits(codes.packed, axis=1, bitorder="little")[:, :codes.bits]
        flip, groups, kept = spread(bits, code_set.database_labels)
        print(f"| {name} | {flip:.3f} | {groups} | {kept} |")


if __name__ == "__main__":
    main()
