"""HMAH and DADH: their structure, options, training hooks and checkpoints (resumed runs: the
conformance suite)."""

import numpy as np
import pytest
import torch

from cmhash.errors import InputError
from cmhash.methods import FitContext, create_method, load_method
from cmhash.methods.dadh import DADH
from cmhash.methods.hmah import HMAH
from cmhash.training import load_checkpoint
from tests.helpers import labelled_pairs


@pytest.fixture(scope="module")
def pairs():
    return labelled_pairs()


def test_hmah_teacher_code_has_four_quarters(pairs):
    image, text, labels = pairs
    hmah = HMAH(bits=16, teacher_epochs=1, student_epochs=1, batch_size=64).fit(
        image, text, labels)
    teacher = hmah.teacher_.eval()
    x, t, y = (torch.as_tensor(a[:10], dtype=torch.float32) for a in (image, text, labels))
    codes = teacher(x, t, y)
    assert codes.shape == (10, 16) and codes.abs().max() < 1
    u = teacher.image(x)
    quarter = teacher.heads[0](teacher.gcn_image(u, torch.eye(10)))
    assert not torch.allclose(quarter, codes[:, :4])  # Â mixes neighbours …
    lonely = torch.zeros(10, 4)
    lonely[:, 0] = torch.arange(10) == 0  # … unless no two pairs share a label
    alone = teacher(x[:1], t[:1], lonely[:1])
    torch.testing.assert_close(alone[:, :4], teacher.heads[0](teacher.gcn_image(u[:1],
                                                                               torch.eye(1))))


def test_hmah_bits_and_database_mode(pairs):
    image, text, labels = pairs
    with pytest.raises(InputError, match="multiple of 8, got 20"):  # 4 quarters of whole bytes
        HMAH(bits=20).fit(image, text, labels)
    with pytest.raises(InputError, match="'database' must be one of 'standard', 'fused'"):
        HMAH(bits=16, database="both").fit(image, text, labels)
    hmah = HMAH(bits=16, teacher_epochs=1, student_epochs=1, batch_size=64,
                database="fused").fit(image, text, labels)
    db_image, db_text = hmah.database_codes(image[:20], text[:20])
    np.testing.assert_array_equal(db_image.packed, db_text.packed)
    standard = hmah.set_params(database="standard").database_codes(image[:20], text[:20])
    np.testing.assert_array_equal(standard[0].packed, hmah.encode_image(image[:20]).packed)


def test_hmah_embedding_starts_from_the_word_vectors(pairs):
    image, text, labels = pairs
    vectors = np.random.default_rng(1).normal(size=(12, 50)).astype(np.float32)
    # the student's embedding learns at student_lr × embedding_lr_factor = 0: Adam leaves it
    hmah = HMAH(bits=16, teacher_epochs=1, student_epochs=1, batch_size=100,
                embedding_lr_factor=0.0)
    hmah.fit(image, text, labels, FitContext(word_vectors=vectors))
    np.testing.assert_allclose(hmah.students_.text.embedding.weight.detach().numpy(), vectors.T)
    assert hmah.students_.text.embedding.weight.shape == (50, 12)
    with pytest.raises(InputError, match="5 word vectors for a 12-d text feature"):
        hmah.fit(image, text, labels, FitContext(word_vectors=vectors[:5]))


def test_hmah_freezes_student_batchnorm_from_the_set_epoch(pairs):
    image, text, labels = pairs
    hmah = HMAH(bits=16, teacher_epochs=1, student_epochs=3, batch_size=64,
                freeze_bn_epoch=2)
    means = []
    original = hmah._student_epoch_start

    def record(state):
        original(state)
        means.append(hmah.students_.image[1].running_mean.clone())

    hmah._student_epoch_start = record
    hmah.fit(image, text, labels)
    final = hmah.students_.image[1].running_mean
    assert not torch.equal(means[1], means[2])  # epoch 1 still updated the statistics
    assert torch.equal(means[2], final)  # frozen from epoch 2 on


def test_dadh_keeps_the_authors_weighting_behind_options():
    default = DADH()  # α = 10: NDCG-weighted, c = 10 (βγ + .1)², summed (main.py)
    assert default.ndcg_weighted and default.triplet_constant == pytest.approx(12.1)
    assert default.triplet_reduction == "sum"
    other_alpha = DADH(alpha=5)  # any other α: unweighted, c = βγ + .1 (triplet_loss.py)
    assert not other_alpha.ndcg_weighted and other_alpha.triplet_constant == pytest.approx(1.1)
    forced = DADH(alpha=5, weighted_triplet=True, beta=2)
    assert forced.ndcg_weighted and forced.triplet_constant == pytest.approx(44.1)
    assert not DADH(weighted_triplet=False).ndcg_weighted


def test_dadh_decays_the_generator_lr_after_epoch_zero(pairs, tmp_path):
    image, text, labels = pairs
    dadh = DADH(bits=16, hidden=64, epochs=3, batch_size=50, lr=1e-3, lr_decay_every=2)
    dadh.fit(image, text, labels, FitContext(workdir=tmp_path))
    # decayed after epochs 0 and 2 (epoch % 2 == 0)
    assert dadh.generator_optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.8 ** 2)
    assert dadh.feature_d_optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3)
    buffers = load_checkpoint(tmp_path / "checkpoint.pt", "dadh", 16)["buffers"]
    assert set(buffers) == {"codes", "image_codes", "text_codes"}
    assert buffers["codes"].shape == (200, 16)
    assert set(np.unique(buffers["codes"].numpy())) == {-1.0, 1.0}


def test_checkpoint_of_another_method_or_length_is_refused(tmp_path, pairs):
    image, text, labels = pairs
    DADH(bits=16, hidden=64, epochs=1, batch_size=50).fit(
        image, text, labels, FitContext(workdir=tmp_path))
    with pytest.raises(InputError, match="checkpoint of dadh at 16 bits, expected dadh at 32"):
        load_checkpoint(tmp_path / "checkpoint.pt", "dadh", 32)
    with pytest.raises(InputError, match="expected hmah at 16"):
        HMAH(bits=16, teacher_epochs=1, student_epochs=1).fit(
            image, text, labels, FitContext(workdir=tmp_path, resume=True))


def test_a_model_file_that_records_cuda_loads_on_the_cpu(tmp_path, pairs):
    image, text, labels = pairs
    dadh = create_method("dadh", bits=16, hidden=32, epochs=1, batch_size=50).fit(
        image, text, labels)
    path = dadh.set_params(device="cuda").save(tmp_path / "dadh.pt")  # as trained on a GPU
    restored = load_method(path)
    assert restored.device == "cpu"
    np.testing.assert_array_equal(restored.encode_image(image).packed,
                                  dadh.set_params(device="cpu").encode_image(image).packed)
