"""Why AGAH's codes collapse on Wiki: its terms and its feature normalisation switched one at a
time, with what the trained codes look like, and the same on MIRFlickr for comparison.

    python -m benchmarks.studies.agah_collapse [--dataset wiki|mirflickr] [--bits 32]
                                               [--epochs 10] [--variants a,b,...]

Each variant trains AGAH (2,048 wide, the authors' defaults, as presets agah-wiki and
agah-mirflickr) on the preset's features (Wiki: the stored 128-d SIFT BoVW images and 10-d LDA
texts; MIRFlickr: EfficientNet-Lite0 pooled images and tag BoW, protocol `mirflickr` seed 1) with
10 % of the training pairs held out (seed 0, as `cmhash run` carves them: Wiki 217, MIRFlickr
1,000) and scores the model after its last epoch on them: `map` of the held-out pairs as queries
against the other training pairs as database.  The test queries are never used.  Beside the
scores, what the codes and features of the training pairs are:

- image / text codes: how many different codes the modality gives its training items (1: every
  item gets the same code, a collapse);
- saturated: share of |h| > 0.99 among the tanh outputs, the codes before the sign;
- spread: per bit, the standard deviation over the items of the pre-activation z = atanh(h)
  divided by the size of its mean, the median over the bits (well under 1: the bit's sign is
  the same for almost every item, set by what the items share, not by what tells them apart);
- label codes: how many different rows the code map M (one code per label) has at the end;
- dead text: share of items whose text network outputs only zeros (every ReLU of its last layer
  off), whose feature is then the attention alone.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features
from cmhash.methods import create_method
from cmhash.methods.agah import AGAH
from cmhash.validation_protocol import validation_split

#: dataset → (dataset name, protocol, image feature, text feature, held-out pairs)
DATASETS = {"wiki": ("wiki", "wiki", None, None, 217),
            "mirflickr": ("mirflickr-images", "mirflickr", "efficientnet_lite0", "bow", 1000)}
PRESET = {"hidden": 2048}
SATURATED = 0.99

#: name → (what it changes, AGAH parameters on top of the preset).
VARIANTS: dict[str, tuple[str, dict]] = {
    "preset": ("the authors' defaults (2,048 wide)", {}),
    "no_code_map": ("γ = 0: no code-map term", {"gamma": 0.0}),
    "no_adversarial": ("μ = 0: no critics' term in the generator", {"mu": 0.0}),
    "no_sign_quantization": ("η = 0: no ‖|h| − 1‖ term", {"eta": 0.0}),
    "no_cosine_quantization": ("α = 0: no cosine quantisation", {"alpha": 0.0}),
    "no_attention": ("λ = 1: features without the label attention", {"lam": 1.0}),
    "row_norm": ("each feature row divided by its own norm", {"feature_norm": "row"}),
    "row_norm_no_code_map": ("row norm and γ = 0", {"feature_norm": "row", "gamma": 0.0}),
    "standardised_inputs": ("every input column standardised (standardize_inputs)",
                            {"standardize_inputs": True}),
}


def pre_activation_spread(codes: np.ndarray) -> float:
    """Median over the bits of std_i(z) / |mean_i(z)|, z = atanh(h) the pre-activation."""
    z = np.arctanh(np.clip(codes, -1 + 1e-7, 1 - 1e-7))
    return float(np.median(z.std(axis=0) / np.abs(z.mean(axis=0))))


def code_diagnostics(method: AGAH, image: np.ndarray, text: np.ndarray) -> dict[str, float]:
    """Distinct codes, spread and saturated share per modality; dead text items; distinct
    label codes."""
    real = {"image": method._project(image, "image"), "text": method._project(text, "text")}
    with torch.no_grad():
        # zero rows stay zero under either feature normalisation
        text_out = method._features(torch.as_tensor(text, dtype=torch.float32), "text")
    out = {"dead text": float((text_out.abs().sum(dim=1) == 0).float().mean()),
           "label codes": len(torch.unique(method.code_map_, dim=0))}
    for modality, codes in real.items():
        out[f"{modality} codes"] = len(np.unique(codes > 0, axis=0))
        out[f"{modality} spread"] = pre_activation_spread(codes)
        out[f"{modality} saturated"] = float((np.abs(codes) > SATURATED).mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--dataset", choices=DATASETS, default="wiki")
    parser.add_argument("--bits", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    name, protocol_name, image_feature, text_feature, held_out = DATASETS[args.dataset]
    dataset = load_dataset(name, args.data_root)
    protocol = validation_split(make_split(dataset, protocol_name), held_out, 0)
    image = dataset_features(dataset, "image", image_feature)[0]
    text = dataset_features(dataset, "text", text_feature)[0]
    labels, fit = dataset.labels, protocol.fit
    print(f"AGAH on {args.dataset}, {args.bits} bits, {args.epochs} epochs, {len(fit):,} "
          f"training pairs; `map` of {len(protocol.queries):,} held-out pairs after the last "
          "epoch; codes of the training pairs")
    columns = ["label codes", "image codes", "text codes", "image spread", "text spread",
               "image saturated", "text saturated", "dead text"]
    print("| variant | change | val I→T | val T→I | " + " | ".join(columns) + " |")
    print("|---" * (4 + len(columns)) + "|")
    for variant in args.variants.split(","):
        change, params = VARIANTS[variant]
        method = create_method("agah", bits=args.bits, epochs=args.epochs, random_state=0,
                               **PRESET, **params)
        method.fit(image[fit], text[fit], labels[fit])
        i2t, t2i = protocol.cross_modal_map(
            {"image": method.encode_image(image[protocol.queries]),
             "text": method.encode_text(text[protocol.queries])},
            {"image": method.encode_image(image[protocol.database]),
             "text": method.encode_text(text[protocol.database])}, labels)
        diagnostics = code_diagnostics(method, image[fit], text[fit])
        cells = [f"{diagnostics[c]}" if "codes" in c else f"{diagnostics[c]:.3f}"
                 for c in columns]
        print(f"| {variant} | {change} | {i2t:.4f} | {t2i:.4f} | " + " | ".join(cells) + " |",
              flush=True)


if __name__ == "__main__":
    main()
