"""Seconds per training epoch of each deep method on MIRFlickr-25K at 64 bits.

MIRFlickr-25K, 15,677 pairs, 128-px images, protocol `mirflickr` (10,000 training pairs, of
which 1,000 are held out for validation); images: EfficientNet-Lite0 (224 px, 1280-d pooled, from
the feature cache), texts: the 1,386-d tag BoW.  Each method trains a few epochs with its
defaults (HMAH: each phase; DADH: 8192-wide, and the narrower widths given by --dadh-hidden); the
median epoch time is printed, validation scoring excluded.  MITH and MATH (EfficientNet-Lite0
tokens, MiniLM tokens) train one epoch on --token-steps batches of 128 at --token-bits (64),
once in float32 and once with the forward pass under bf16 autocast (``precision=bfloat16``);
the time per step of each is printed with the epoch time it implies for the 9,000 training
pairs.  With --token-epochs N, MITH and MATH then train in full at 64 bits for N epochs on the
9,000 pairs, validation after every epoch included, and the whole wall time is printed.

    python -m benchmarks.speed.train_speed [--epochs 2] [--dadh-hidden 8192 2048]
                                           [--token-steps 3] [--token-bits 64]
                                           [--skip-feature-methods] [--token-epochs N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from cmhash.data import load_dataset, make_split
from cmhash.inputs import dataset_features, feature_source, label_text_inputs
from cmhash.methods import FitContext, create_method
from cmhash.validation_protocol import validation_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $CMHASH_DATA_ROOT, else ./data")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dadh-hidden", type=int, nargs="+", default=[8192, 2048])
    parser.add_argument("--token-steps", type=int, default=3)
    parser.add_argument("--token-bits", type=int, default=64)
    parser.add_argument("--skip-feature-methods", action="store_true",
                        help="time MITH and MATH only")
    parser.add_argument("--token-epochs", type=int, default=0,
                        help="also train MITH and MATH in full for this many epochs")
    args = parser.parse_args()
    dataset = load_dataset("mirflickr-images", args.data_root)
    protocol = validation_split(make_split(dataset, "mirflickr"), 1000, 0)
    fit_rows, validation_rows = protocol.fit, protocol.queries
    image, _ = dataset_features(dataset, "image", "efficientnet_lite0")
    text, _ = dataset_features(dataset, "text", "bow")
    labels = dataset.labels
    runs = [("hmah", {"teacher_epochs": args.epochs, "student_epochs": args.epochs})]
    runs += [("dadh", {"hidden": h, "epochs": args.epochs}) for h in args.dadh_hidden]
    print(f"MIRFlickr-25K, 15,677 pairs, 128-px images; {len(fit_rows)} training pairs, 64 bits;"
          f" torch threads {torch.get_num_threads()}; CPU kernels "
          f"{torch.backends.cpu.get_cpu_capability()}")
    print("| method | settings | phase | seconds per epoch (median) |")
    print("|---|---|---|---|")
    for name, params in [] if args.skip_feature_methods else runs:
        method = create_method(name, bits=64, **params)
        started = time.perf_counter()
        method.fit(image[fit_rows], text[fit_rows], labels[fit_rows])
        phases: dict[str, list[float]] = {}
        for record in method.history_:
            phases.setdefault(record["phase"], []).append(record["seconds"])
        for phase, seconds in phases.items():
            print(f"| {name} | {params} | {phase} | {statistics.median(seconds):.1f} |",
                  flush=True)
        print(f"<!-- {name} total {time.perf_counter() - started:.0f} s -->")
    token_rows = fit_rows[: 128 * args.token_steps]
    image_tokens, _ = dataset_features(dataset, "image", "efficientnet_lite0", "tokens")
    text_tokens, _ = dataset_features(dataset, "text", "minilm", "tokens")
    label_tokens = label_text_inputs(dataset, feature_source(dataset, "tokens", "text", "minilm"))
    for name in ("mith", "math"):
        steps = -(-len(fit_rows) // 128)
        seconds = {}
        for precision in ("float32", "bfloat16"):
            method = create_method(name, bits=args.token_bits, epochs=1, precision=precision)
            context = FitContext(label_text=label_tokens[token_rows] if name == "math" else None)
            method.fit(image_tokens[token_rows], text_tokens[token_rows], labels[token_rows],
                       context)
            seconds[precision] = method.history_[0]["seconds"] / args.token_steps
        fp32, bf16 = seconds["float32"], seconds["bfloat16"]
        print(f"| {name} | {args.token_bits} bits, {steps} steps per epoch | s per step: "
              f"float32 {fp32:.2f}, bfloat16 autocast {bf16:.2f} ({fp32 / bf16:.2f}×) | "
              f"{fp32 * steps:.0f} / {bf16 * steps:.0f} (estimated from {args.token_steps} "
              "steps) |", flush=True)
    validation = (image_tokens[validation_rows], text_tokens[validation_rows],
                  labels[validation_rows])
    for name in ("mith", "math") if args.token_epochs else ():
        method = create_method(name, bits=64, epochs=args.token_epochs)
        context = FitContext(validation=validation,
                             label_text=label_tokens[fit_rows] if name == "math" else None)
        started = time.perf_counter()
        method.fit(image_tokens[fit_rows], text_tokens[fit_rows], labels[fit_rows], context)
        minutes = (time.perf_counter() - started) / 60
        print(f"| {name} | {args.token_epochs} epochs, validation included | full training | "
              f"{minutes:.1f} min in all |", flush=True)


if __name__ == "__main__":
    main()
