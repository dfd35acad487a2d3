"""MITH and MATH fine-tuning CLIP end to end, on a tiny random CLIP and a few real photos."""

import numpy as np
import pytest

from cmhash.data import load_dataset
from cmhash.methods import FitContext, load_method
from cmhash.methods.math_hash import MATH
from cmhash.methods.mith import MITH


@pytest.fixture(scope="module")
def pairs(image_folder):
    dataset = load_dataset(f"folder:{image_folder}")
    return (np.asarray(dataset.image_paths[:16]), np.asarray(dataset.texts[:16]),
            dataset.labels[:16], np.asarray(dataset.label_texts()[:16]))


@pytest.mark.parametrize("cls", [MITH, MATH])
def test_end_to_end_training_lowers_the_loss_and_reloads(tmp_path, tiny_clip, pairs, cls):
    folder, _, _ = tiny_clip
    image, text, labels, label_text = pairs
    method = cls(bits=16, epochs=6, batch_size=8, clip_path=str(folder), random_state=0)
    assert method.input_form == "raw"
    method.fit(image, text, labels, FitContext(label_text=label_text))
    totals = [r["losses"]["total"] for r in method.history_]
    assert totals[-1] < totals[1]  # from the first epoch with every memory-bank row written
    assert method.optimizer_.param_groups[1]["lr"] == 2e-6  # CLIP at its own learning rate
    codes = method.encode_image(image)
    assert codes.packed.shape == (16, 2)
    one = method.encode_text(text[3:4])
    np.testing.assert_array_equal(one.packed[0], method.encode_text(text).packed[3])
    restored = load_method(method.save(tmp_path / "model.pt"))
    np.testing.assert_array_equal(restored.encode_image(image).packed, codes.packed)
