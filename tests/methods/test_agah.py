"""AGAH: its feature normalisation and label attention, the per-epoch map updates, the learning
rate schedule, code formation, persistence, resumable training and input errors."""

import numpy as np
import pytest
import torch

from cmhash.errors import InputError
from cmhash.losses.label_maps import update_code_map, update_feature_map
from cmhash.methods import FitContext, create_method, load_method
from cmhash.methods.agah import AGAH, label_attention, normalize_features
from cmhash.training import load_checkpoint
from tests.helpers import labelled_pairs

QUICK = {"hidden": 64, "embedding": 32, "batch_size": 50}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: a second thread only adds synchronisation, which on a machine shared with
    training jobs makes each step many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pairs():
    image, text, labels = labelled_pairs()
    return np.abs(image), text, labels  # non-negative, as pooled CNN features


def test_label_attention_against_loops():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(3, 4, generator=g, dtype=torch.float64)
    feature_map = torch.randn(5, 4, generator=g, dtype=torch.float64)
    mixed = label_attention(f, feature_map, 0.8)
    for i in range(3):
        weights = [1 / (1 + np.exp(-5 * float(f[i] @ feature_map[c]))) for c in range(5)]
        attended = sum(w * feature_map[c] for c, w in enumerate(weights)) / sum(weights)
        torch.testing.assert_close(mixed[i], 0.8 * f[i] + 0.2 * attended)


def test_features_are_divided_by_a_detached_batch_or_row_norm():
    f = torch.tensor([[3.0, 4.0], [0.0, 0.0], [6.0, 8.0]], requires_grad=True)
    batch = normalize_features(f, "batch")  # ‖F‖_F = √125
    torch.testing.assert_close(batch, f.detach() / 125 ** 0.5)
    torch.testing.assert_close(normalize_features(f, "row"),
                               torch.tensor([[0.6, 0.8], [0.0, 0.0], [0.6, 0.8]]))
    batch.sum().backward()  # no gradient through the divisor
    torch.testing.assert_close(f.grad, torch.full((3, 2), 125 ** -0.5))


def test_fit_encodes_and_a_saved_model_gives_the_same_codes(pairs, tmp_path):
    image, text, labels = pairs
    agah = create_method("agah", bits=16, epochs=2, random_state=1, **QUICK)
    assert isinstance(agah, AGAH)
    agah.fit(image[:150], text[:150], labels[:150])
    codes = agah.encode_image(image[150:])
    assert codes.bits == 16 and codes.packed.shape == (50, 2)
    assert agah.encode_text(text[150:]).packed.shape == (50, 2)
    restored = load_method(agah.save(tmp_path / "agah.pt"))
    torch.testing.assert_close(restored.feature_map_, agah.feature_map_)
    np.testing.assert_array_equal(restored.encode_image(image[150:]).packed, codes.packed)
    np.testing.assert_array_equal(restored.encode_text(text[150:]).packed,
                                  agah.encode_text(text[150:]).packed)


def test_standardized_inputs_equal_a_fit_on_columns_standardised_beforehand(pairs, tmp_path):
    image, text, labels = pairs
    text = text.copy()
    text[:, 0] = 2.0  # a constant column is only centred
    train = slice(0, 150)

    def standardised(x):
        deviation = x[train].std(axis=0, ddof=1)  # torch.std, as the method
        return (x - x[train].mean(axis=0)) / np.where(deviation > 0, deviation, 1.0)

    params = {"bits": 16, "epochs": 2, "random_state": 1, **QUICK}
    varied = AGAH(standardize_inputs=True, **params).fit(image[train], text[train], labels[train])
    manual = AGAH(**params).fit(standardised(image)[train], standardised(text)[train],
                                labels[train])
    torch.testing.assert_close(varied.input_scale_["text"][0],
                               torch.as_tensor(text[train].mean(axis=0), dtype=torch.float32))
    np.testing.assert_allclose(varied._project(image[150:], "image"),
                               manual._project(standardised(image)[150:], "image"),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(varied._project(text[150:], "text"),
                               manual._project(standardised(text)[150:], "text"),
                               rtol=1e-4, atol=1e-5)
    restored = load_method(varied.save(tmp_path / "agah.pt"))
    np.testing.assert_array_equal(restored.encode_text(text[150:]).packed,
                                  varied.encode_text(text[150:]).packed)
    plain = AGAH(**params).fit(image[train], text[train], labels[train])
    assert not plain.input_scale_["image"][0].any()  # the authors' AGAH: inputs as given
    older = plain.model_state()  # as saved before the option existed: no scales
    older = {k: v for k, v in older.items() if not k.startswith("input_scale_")}
    reloaded = AGAH(**params).fit(image[:60], text[:60], labels[:60])
    reloaded.load_model_state(older)
    np.testing.assert_array_equal(reloaded.encode_text(text[150:]).packed,
                                  plain.encode_text(text[150:]).packed)


def test_epoch_end_updates_the_maps_by_their_formulas(pairs):
    image, text, labels = pairs
    agah = AGAH(bits=16, epochs=2, **QUICK)
    code_maps, row_buffers = [], {}
    original = agah._epoch_end

    def record(state):
        code_maps.append(agah.code_map_.clone())
        original(state)
        row_buffers.update(state.buffers)

    agah._epoch_end = record
    agah.fit(image, text, labels)
    labels_t = torch.as_tensor(labels, dtype=torch.float32)
    torch.testing.assert_close(agah.code_map_, update_code_map(
        row_buffers["image_codes"], row_buffers["text_codes"], code_maps[-1], labels_t))
    torch.testing.assert_close(agah.feature_map_, update_feature_map(
        row_buffers["image_features"], row_buffers["text_features"], labels_t))
    assert not torch.equal(code_maps[0], code_maps[1])
    # the stored features are normalised per batch: four batches of squared norm 1 each
    for features in (row_buffers["image_features"], row_buffers["text_features"]):
        assert (features ** 2).sum().item() == pytest.approx(4, rel=1e-5)


def test_generator_lr_decays_after_epoch_zero_and_every_nth(pairs):
    image, text, labels = pairs
    agah = AGAH(bits=16, epochs=3, lr=1e-3, lr_decay_every=2, **QUICK).fit(image, text, labels)
    # decayed after epochs 0 and 2; the image layer at lr, the rest at 10 lr
    np.testing.assert_allclose([g["lr"] for g in agah.optimizer_.param_groups],
                               np.array([1e-3, 1e-2, 1e-2, 1e-2]) * 0.6 ** 2)
    for optimizer in (agah.image_critic_optimizer_, agah.text_critic_optimizer_):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-2)
        assert optimizer.param_groups[0]["betas"] == (0.5, 0.9)


def test_codes_are_formed_in_batches_of_batch_size(pairs):
    image, text, labels = pairs
    agah = AGAH(bits=16, epochs=1, **QUICK).fit(image, text, labels)
    whole = agah._project(image, "image")
    np.testing.assert_allclose(agah._project(image[50:100], "image"), whole[50:100], rtol=1e-5)
    alone = np.concatenate([agah._project(image[i:i + 1], "image") for i in range(50)])
    assert not np.allclose(alone, whole[:50], atol=1e-4)  # normalised with other rows
    agah.set_params(feature_norm="row")  # per row: a pair's code ignores its batch
    alone = np.concatenate([agah._project(image[i:i + 1], "image") for i in range(50)])
    np.testing.assert_allclose(alone, agah._project(image, "image")[:50], rtol=1e-5, atol=1e-6)


def test_bad_input_and_parameters_raise_input_errors(pairs):
    image, text, labels = pairs
    with pytest.raises(InputError, match="supervised and needs labels"):
        AGAH(bits=16, **QUICK).fit(image, text)
    empty = labels.copy()
    empty[3] = 0
    with pytest.raises(InputError, match="training label row 3 is all zeros"):
        AGAH(bits=16, **QUICK).fit(image, text, empty)
    with pytest.raises(InputError, match="'feature_norm' must be one of 'batch', 'row'"):
        AGAH(bits=16, feature_norm="column", **QUICK).fit(image, text, labels)
    with pytest.raises(InputError, match=r"'lam' must be a number in \[0, 1\], got 1.5"):
        AGAH(bits=16, lam=1.5, **QUICK).fit(image, text, labels)
    with pytest.raises(InputError, match="multiple of 8"):
        AGAH(bits=12, **QUICK).fit(image, text, labels)


class Killed(Exception):
    pass


def test_resume_after_a_kill_gives_the_uninterrupted_result(tmp_path, pairs):
    image, text, labels = pairs
    validation = (image[:30], text[:30], labels[:30])

    def fit(workdir, resume=False, fail_after=None):
        agah = AGAH(bits=16, epochs=3, random_state=5, **QUICK)
        if fail_after is not None:
            steps = {"n": 0}
            original = agah._step

            def counted(state, rows):
                steps["n"] += 1
                if steps["n"] > fail_after:
                    raise Killed
                return original(state, rows)

            agah._step = counted
        return agah.fit(image[30:], text[30:], labels[30:],
                        FitContext(validation=validation, workdir=workdir, resume=resume))

    clean = fit(tmp_path / "clean")
    with pytest.raises(Killed):
        fit(tmp_path / "killed", fail_after=5)  # four steps per epoch: killed in the second
    saved = load_checkpoint(tmp_path / "killed" / "checkpoint.pt", "agah", 16)
    assert len(saved["loop"]["history"]) == 1
    resumed = fit(tmp_path / "killed", resume=True)
    assert [r["losses"] for r in resumed.history_] == [r["losses"] for r in clean.history_]
    np.testing.assert_array_equal(resumed.encode_text(text).packed, clean.encode_text(text).packed)
    # the selected epoch's feature map travels with its networks
    best = load_checkpoint(tmp_path / "clean" / "best.pt", "agah", 16)["model"]
    torch.testing.assert_close(clean.feature_map_, best["feature_map"])
