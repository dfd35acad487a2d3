"""Features of items in memory (a trained model's raw inputs) equal the cache's rows."""

import numpy as np
import pytest

from cmhash.data import load_dataset
from cmhash.encoders import FeatureCache, create_encoder
from cmhash.encoders.stored import encode_items
from tests.helpers import make_folder_dataset, one_torch_thread


@pytest.mark.parametrize("spec", [
    "efficientnet_lite0:image_size=32", "bow",
    pytest.param("minilm:max_tokens=8", marks=pytest.mark.slow)])  # shortest texts first
def test_in_memory_features_are_the_cached_rows(tmp_path, spec):
    dataset = load_dataset(f"folder:{make_folder_dataset(tmp_path / 'photos')}")
    encoder = create_encoder(spec, dataset)
    items = dataset.image_paths if encoder.modality == "image" else dataset.texts
    with one_torch_thread():
        cached = FeatureCache(tmp_path / "cache").encode(dataset, encoder, batch_size=4,
                                                         num_workers=0, progress=False)
        in_memory = encode_items(create_encoder(spec, dataset), items, batch_size=4)
    assert in_memory.global_features.dtype == np.float16
    for name in ("global_features", "tokens", "mask"):
        expected = getattr(cached, name)
        if expected is None:
            assert getattr(in_memory, name) is None
        else:
            np.testing.assert_array_equal(getattr(in_memory, name), expected)
