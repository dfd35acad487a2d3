"""MITH's blocks against their definitions, and the method on small token features."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cmhash.encoders import Features
from cmhash.errors import InputError
from cmhash.methods import FitContext, load_method
from cmhash.methods.backbones import FrozenBackbone, hide_last_token
from cmhash.methods.mith import MITH
from cmhash.nn.transformer import (
    BitwiseHashing,
    localized_token_aggregation,
    sinusoidal_positions,
)
from tests.helpers import token_pairs


def test_lta_against_a_loop():
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 5, 6, generator=g)  # (N, L, K)
    tokens = torch.randn(2, 5, 3, generator=g)
    mask = torch.tensor([[1, 1, 1, 0, 1], [1, 1, 1, 1, 1]], dtype=torch.bool)
    top_k = 2
    out = localized_token_aggregation(scores, tokens, mask, top_k)
    for n in range(2):
        for k in range(6):
            chosen = []
            for token in range(5):
                kth = sorted(scores[n, token].tolist())[-top_k]
                value = scores[n, token, k].item()
                if mask[n, token] and value > 0 and value >= kth:
                    chosen.append((token, value))
            expected = torch.zeros(3)
            if chosen:
                total = sum(math.exp(v) for _, v in chosen)
                for token, value in chosen:
                    expected += math.exp(value) / total * tokens[n, token]
            torch.testing.assert_close(out[n, k], expected, atol=1e-6, rtol=1e-5)


def test_bitwise_hashing_is_k_separate_linear_layers():
    hashing = BitwiseHashing(bits=4, width=3)
    tokens = torch.randn(2, 4, 3)
    expected = torch.stack([tokens[:, k] @ hashing.weight[k] + hashing.bias[k]
                            for k in range(4)], dim=1)
    torch.testing.assert_close(hashing(tokens), expected)


def test_mean_over_positions_hashing_keeps_its_mode_when_tokens_equal_bits():
    """MATH averages every bit over all positions, also when L happens to equal K (32 text
    tokens at 32 bits): the mode is the method's choice, not the input's shape."""
    hashing = BitwiseHashing(bits=4, width=3, mode="mean_over_positions")
    tokens = torch.randn(2, 4, 3)  # L == K
    expected = torch.stack([(tokens @ hashing.weight[k]).mean(dim=1) + hashing.bias[k]
                            for k in range(4)], dim=1)
    torch.testing.assert_close(hashing(tokens), expected)
    with pytest.raises(ValueError, match="one token per bit"):
        BitwiseHashing(bits=4, width=3)(torch.randn(2, 5, 3))


def test_math_transformers_average_over_positions():
    from cmhash.methods.math_hash import TokenTransformer
    assert TokenTransformer(bits=32, width=16, heads=2).hashing.mode == "mean_over_positions"


def test_positions_and_text_mask():
    table = sinusoidal_positions(4, 6)
    assert table[0].tolist() == pytest.approx([0, 1, 0, 1, 0, 1] / np.sqrt(6))
    assert table[2, 0].item() == pytest.approx(math.sin(2) / math.sqrt(6))
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)
    assert hide_last_token(mask).tolist() == [[True, True, False, False],
                                              [True, True, True, False],
                                              [True, False, False, False]]


@pytest.fixture(scope="module")
def tokens():
    return token_pairs()


def test_frozen_projection_normalises_each_token_before_the_linear_map():
    backbone = FrozenBackbone({"image": 16})
    rng = np.random.default_rng(1)
    tokens = rng.normal(size=(4, 6, 16)).astype(np.float32)
    features = Features(tokens.mean(axis=1), tokens)
    scaled = Features(25 * tokens.mean(axis=1) + 3, 25 * tokens + 3)
    rows = np.arange(4)
    batch, batch_scaled = (backbone.embed(x, rows, "image") for x in (features, scaled))
    torch.testing.assert_close(batch.tokens, batch_scaled.tokens, atol=1e-4, rtol=1e-4)
    projection = backbone.projections["image"]
    x = torch.as_tensor(tokens)
    normalised = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False,
                                                                   keepdim=True) + 1e-5)
    torch.testing.assert_close(batch.tokens, normalised @ projection.weight.T + projection.bias,
                               atol=1e-5, rtol=1e-5)
    plain = FrozenBackbone({"image": 16}, normalize=False)  # the ablation: projection only
    linear = plain.projections["image"]
    torch.testing.assert_close(plain.embed(features, rows, "image").tokens,
                               x @ linear.weight.T + linear.bias)


def test_mith_trains_encodes_one_item_and_round_trips(tmp_path, tokens):
    image, text, labels = tokens
    rows = np.arange(60)
    mith = MITH(bits=16, epochs=3, batch_size=20, random_state=0)
    mith.fit(image[rows], text[rows], labels[rows], FitContext(
        validation=(image[np.arange(60, 90)], text[np.arange(60, 90)], labels[60:])))
    assert len(mith.history_) == 3 and mith.best_epoch_ is not None
    codes = mith.encode_image(image)
    assert codes.packed.shape == (90, 2)
    one = mith.encode_text(text[np.array([7])])  # a batch of size 1 works
    np.testing.assert_array_equal(one.packed[0], mith.encode_text(text).packed[7])
    restored = load_method(mith.save(tmp_path / "mith.pt"))
    np.testing.assert_array_equal(restored.encode_image(image).packed, codes.packed)


def test_validation_ranks_against_the_first_training_pairs_only(tokens, monkeypatch):
    from cmhash.metrics import mean_average_precision

    image, text, labels = tokens
    monkeypatch.setattr(MITH, "validation_database_size", 25)
    train, validation = np.arange(60), np.arange(60, 90)
    mith = MITH(bits=16, epochs=2, batch_size=20, random_state=0)
    mith.fit(image[train], text[train], labels[train],
             FitContext(validation=(image[validation], text[validation], labels[validation])))
    database = train[:25]  # the kept model is the selected epoch's: its scores recompute
    i2t = mean_average_precision(mith.encode_image(image[validation]),
                                 mith.encode_text(text[database]), labels[validation],
                                 labels[database])
    t2i = mean_average_precision(mith.encode_text(text[validation]),
                                 mith.encode_image(image[database]), labels[validation],
                                 labels[database])
    assert mith.best_epoch_["validation"]["i2t_map"] == pytest.approx(i2t)
    assert mith.best_epoch_["validation"]["t2i_map"] == pytest.approx(t2i)


def test_mith_input_errors(tokens):
    image, text, labels = tokens
    with pytest.raises(InputError, match="must be token features"):  # a 2-D matrix
        MITH(bits=16).fit(image.global_features, text, labels)
    with pytest.raises(InputError, match="has 60 rows, expected 90"):
        MITH(bits=16).fit(image, text[np.arange(60)], labels)


def test_math_trains_with_label_text_and_encodes_without(tmp_path, tokens):
    from cmhash.methods.math_hash import MATH, modality_enhanced_attention

    image, text, labels = tokens
    label_text = Features(text.global_features[::-1].copy(), text.tokens[::-1].copy(),
                               text.mask)
    rows = np.arange(60)
    with pytest.raises(InputError, match="label text"):
        MATH(bits=16).fit(image[rows], text[rows], labels[rows])
    math_method = MATH(bits=16, epochs=2, batch_size=20, random_state=0)
    math_method.fit(image[rows], text[rows], labels[rows],
                    FitContext(label_text=label_text[rows]))
    codes = math_method.encode_image(image)
    restored = load_method(math_method.save(tmp_path / "math.pt"))
    np.testing.assert_array_equal(restored.encode_image(image).packed, codes.packed)
    np.testing.assert_array_equal(math_method.encode_text(text[np.array([3])]).packed[0],
                                  math_method.encode_text(text).packed[3])

    label, im, tx = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
    expected = label.clone()
    for other in (im, tx):
        weights = torch.softmax(label @ other.T / 2.0, dim=1)  # √4 = 2
        expected += weights @ other
    torch.testing.assert_close(modality_enhanced_attention(label, im, tx), expected)


def test_warmup_steps_fix_the_warm_up_length_whatever_the_epochs(tokens):
    """A short schedule keeps the authors' warm-up in steps instead of compressing it."""
    image, text, labels = tokens
    rows = np.arange(60)  # 3 steps of 20 per epoch
    mith = MITH(bits=16, epochs=2, batch_size=20, warmup_steps=4, random_state=0)
    mith.fit(image[rows], text[rows], labels[rows])
    group = mith.optimizer_.param_groups[0]
    assert group["t_total"] == 6 and group["warmup"] == pytest.approx(4 / 6)
    default = MITH(bits=16, epochs=2, batch_size=20, random_state=0)
    default.fit(image[rows], text[rows], labels[rows])
    assert default.optimizer_.param_groups[0]["warmup"] == pytest.approx(0.05)


def test_bfloat16_training_runs_the_forward_in_bf16_and_encodes_in_float32(tokens,
                                                                          monkeypatch):
    image, text, labels = tokens
    rows = np.arange(60)
    seen = []
    original = MITH._hashes

    def spy(self, batch, modality):
        seen.append(torch.is_autocast_enabled("cpu")
                    and torch.get_autocast_dtype("cpu") == torch.bfloat16)
        return original(self, batch, modality)

    monkeypatch.setattr(MITH, "_hashes", spy)
    mith = MITH(bits=16, epochs=1, batch_size=20, precision="bfloat16", random_state=0)
    mith.fit(image[rows], text[rows], labels[rows])
    mith.encode_image(image[rows])
    assert seen[:6] == [True] * 6  # 3 training steps × 2 modalities under bf16 autocast
    assert seen[-1] is False  # encoding in float32
    with torch.autocast("cpu", dtype=torch.bfloat16):  # what autocast does to a Linear
        assert mith.concept_learning_.concepts(torch.randn(2, 512)).dtype == torch.bfloat16
    with pytest.raises(InputError, match="precision"):
        MITH(bits=16, precision="fp8").fit(image[rows], text[rows], labels[rows])


def test_alignment_step_moves_only_the_projections_by_the_symmetric_nce(tokens):
    """The aligned-backbone variant's first phase: NCE(W_i LN(g^i), W_t LN(g^t)) at τ = 0.07,
    as a loop over the pairs; its step moves the projections."""
    from cmhash.methods.torch_base import TrainingPairs
    from cmhash.training import TrainState

    image, text, labels = tokens
    mith = MITH(bits=16, batch_size=20, align_epochs=1, backbone_lr=1e-5, random_state=0)
    mith.torch_device_ = torch.device("cpu")
    mith.dims_ = {"image": image.tokens.shape[2], "text": text.tokens.shape[2],
                  "labels": labels.shape[1], "n_train": 60}
    mith._build(mith.dims_, None)
    assert [(p.name, p.validate) for p in mith.phases()] == [("backbone_align", False),
                                                              ("mith", True)]
    assert [g["lr"] for g in mith.optimizer_.param_groups] == [1e-3, 1e-5]
    projections = copy.deepcopy(mith.backbone_.projections)
    rows = torch.arange(20)
    with torch.no_grad():
        a, b = (F.normalize(projections[m](torch.as_tensor(x.global_features[:20],
                                                           dtype=torch.float32)), dim=1)
                for m, x in (("image", image), ("text", text)))
    logits = (a @ b.T / 0.07).tolist()
    image_to_text = [math.log(sum(math.exp(z) for z in logits[i])) - logits[i][i]
                     for i in range(20)]
    text_to_image = [math.log(sum(math.exp(logits[j][i]) for j in range(20))) - logits[i][i]
                     for i in range(20)]
    expected = 0.5 * (sum(image_to_text) / 20 + sum(text_to_image) / 20)

    state = TrainState(TrainingPairs(image, text, torch.as_tensor(labels)), torch.device("cpu"))
    terms = mith._align_step(state, rows)
    assert terms["nce"] == pytest.approx(expected, rel=1e-5)
    for modality in ("image", "text"):
        assert not torch.equal(mith.backbone_.projections[modality].weight,
                               projections[modality].weight)


def test_alignment_phases_rates_round_trip_and_refusal_with_clip(tokens, tmp_path):
    image, text, labels = tokens
    rows = np.arange(60)
    mith = MITH(bits=16, epochs=1, batch_size=20, random_state=0)
    assert [p.name for p in mith.phases()] == ["mith"]
    mith.fit(image[rows], text[rows], labels[rows])
    assert [g["lr"] for g in mith.optimizer_.param_groups] == [1e-3, 1e-3]
    assert mith.optimizer_names == ("optimizer_",)  # checkpoints of earlier runs still resume
    aligned = MITH(bits=16, epochs=1, batch_size=20, align_epochs=2, random_state=0)
    aligned.fit(image[rows], text[rows], labels[rows])
    assert [r["phase"] for r in aligned.history_] == ["backbone_align"] * 2 + ["mith"]
    restored = load_method(aligned.save(tmp_path / "aligned.pt"))
    np.testing.assert_array_equal(restored.encode_text(text).packed,
                                  aligned.encode_text(text).packed)
    for setting in ({"align_epochs": 1}, {"backbone_lr": 1e-5}):
        with pytest.raises(InputError, match="clip_lr"):  # refused before CLIP is read
            MITH(bits=16, clip_path="no-such-clip.pt", **setting).fit(
                np.array(["a.jpg"] * 4), np.array(["a cat"] * 4), labels[:4])


def test_math_aligns_its_backbone_first_and_trains_it_at_the_backbone_rate(tokens, tmp_path):
    """The variant is MATH's too: the alignment phase, then MATH's with the projections (which
    also embed the label texts) at ``backbone_lr``; the fitted model round-trips."""
    from cmhash.methods.math_hash import MATH

    image, text, labels = tokens
    label_text = Features(text.global_features[::-1].copy(), text.tokens[::-1].copy(),
                          text.mask)
    rows = np.arange(60)
    aligned = MATH(bits=16, epochs=1, batch_size=20, align_epochs=1, backbone_lr=1e-5,
                   random_state=0)
    aligned.fit(image[rows], text[rows], labels[rows], FitContext(label_text=label_text[rows]))
    assert [r["phase"] for r in aligned.history_] == ["backbone_align", "math"]
    assert aligned.optimizer_names == ("optimizer_", "align_optimizer_")
    backbone = {id(p) for p in aligned.backbone_.parameters()}
    rates = [g["lr"] for g in aligned.optimizer_.param_groups
             if {id(p) for p in g["params"]} == backbone]
    assert rates == [1e-5]
    restored = load_method(aligned.save(tmp_path / "math.pt"))
    np.testing.assert_array_equal(restored.encode_image(image).packed,
                                  aligned.encode_image(image).packed)


@pytest.mark.parametrize("killed_step", ["_align_step", "_step"])
def test_an_aligned_run_killed_and_resumed_ends_as_an_uninterrupted_one(tokens, tmp_path,
                                                                       monkeypatch, killed_step):
    """Killed in the second epoch of the alignment phase (whose Adam state the checkpoint
    holds) or of the method's phase, resumed: the losses of an uninterrupted run."""
    image, text, labels = tokens
    rows = np.arange(60)  # 3 steps of 20 per epoch

    def fit(workdir, resume=False):
        mith = MITH(bits=16, epochs=2, batch_size=20, align_epochs=2, align_lr=1e-2,
                    backbone_lr=1e-4, random_state=0)
        mith.fit(image[rows], text[rows], labels[rows],
                 FitContext(workdir=workdir, resume=resume))
        return mith

    clean = fit(tmp_path / "clean")
    original, steps = getattr(MITH, killed_step), {"n": 0}

    def killed_after_four(self, state, batch_rows):
        steps["n"] += 1
        if steps["n"] > 4:
            raise KeyboardInterrupt
        return original(self, state, batch_rows)

    monkeypatch.setattr(MITH, killed_step, killed_after_four)
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "killed")
    monkeypatch.setattr(MITH, killed_step, original)
    resumed = fit(tmp_path / "killed", resume=True)
    assert [r["phase"] for r in resumed.history_] == ["backbone_align"] * 2 + ["mith"] * 2
    assert [r["losses"] for r in resumed.history_] == [r["losses"] for r in clean.history_]
