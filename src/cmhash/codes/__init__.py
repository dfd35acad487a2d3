"""Binary codes: binarisation with an explicit zero policy, LSB-first packing, Hamming distance,
and code-set files (query/database codes of both modalities with labels)."""

from cmhash.codes._code_set import CodeSet, load_code_set, save_code_set
from cmhash.codes._codes import Codes, binarize, hamming_distance, pack_bits, unpack_bits

__all__ = [
    "CodeSet",
    "Codes",
    "binarize",
    "hamming_distance",
    "load_code_set",
    "pack_bits",
    "save_code_set",
    "unpack_bits",
]
