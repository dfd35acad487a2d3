import numpy as np
import pytest
import torch
from PIL import Image

from cmhash.data import load_dataset
from cmhash.encoders import EfficientNetLite0
from cmhash.encoders.efficientnet import build_efficientnet_lite0, default_weights
from cmhash.encoders.images import ImageReadError, read_image
from cmhash.errors import InputError

DOG_CLASSES = range(151, 269)  # ImageNet-1k classes 151–268 are dog breeds


def test_pixels_are_scaled_as_the_lite_models_expect(tmp_path):
    Image.new("RGB", (40, 30), (255, 0, 128)).save(tmp_path / "a.png")
    encoder = EfficientNetLite0(image_size=64)
    x = encoder.collate([encoder.load(str(tmp_path / "a.png"))])
    assert x.shape == (1, 3, 64, 64)
    np.testing.assert_allclose(x[0, :, 10, 10], [1.0, -1.0, 128 / 255 * 2 - 1], atol=1e-6)


def test_imagenet_top5_on_real_dog_photos(data_root):
    """The packaged weights with (x/255 − 0.5)/0.5 recognise MIRFlickr's dog photos."""
    mirflickr = load_dataset("mirflickr-images", data_root)
    dogs = np.flatnonzero(mirflickr.labels[:, mirflickr.label_names.index("dog")])[:40]
    encoder = EfficientNetLite0(image_size=224)
    batch = encoder.collate([encoder.load(mirflickr.image_paths[i]) for i in dogs])
    model = build_efficientnet_lite0(default_weights(), 224)
    with torch.inference_mode():
        top5 = model(batch).topk(5).indices.numpy()
    hit_rate = np.mean([any(c in DOG_CLASSES for c in row) for row in top5])
    assert hit_rate >= 0.7


def test_global_is_the_mean_of_the_token_grid(image_folder):
    paths = sorted(str(p) for p in image_folder.glob("*.jpg"))[:3]
    for size, n_tokens in ((224, 49), (128, 16)):
        out = EfficientNetLite0(image_size=size).encode(paths)
        assert out.tokens.shape == (3, n_tokens, 1280) and out.global_features.shape == (3, 1280)
        np.testing.assert_allclose(out.global_features, out.tokens.mean(axis=1), rtol=1e-5,
                                   atol=1e-6)
        assert out.mask is None


def test_batch_of_one_equals_its_row_in_a_batch(image_folder):
    paths = sorted(str(p) for p in image_folder.glob("*.jpg"))[:4]
    encoder = EfficientNetLite0(image_size=128)
    np.testing.assert_allclose(encoder.encode(paths[2:3]).global_features[0],
                               encoder.encode(paths).global_features[2], rtol=1e-4, atol=1e-5)


def test_unreadable_truncated_and_missing_images_are_named(tmp_path, image_folder):
    good = next(image_folder.glob("*.jpg")).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(good[: len(good) // 2])
    (tmp_path / "text.jpg").write_text("not an image")
    with pytest.raises(ImageReadError, match=r"cut\.jpg: unreadable image"):
        read_image(tmp_path / "cut.jpg", 64)
    with pytest.raises(ImageReadError, match=r"text\.jpg: unreadable image"):
        read_image(tmp_path / "text.jpg", 64)
    with pytest.raises(ImageReadError, match=r"gone\.jpg: image file not found"):
        read_image(tmp_path / "gone.jpg", 64)


def test_weights_that_do_not_match_the_architecture(tmp_path):
    state = torch.load(default_weights(), weights_only=True)
    del state["_fc.bias"]
    state["extra.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(InputError, match=r"bad\.pth: weights do not match EfficientNet-Lite0 "
                                         r"\(1 missing keys, 1 unexpected keys\)"):
        build_efficientnet_lite0(tmp_path / "bad.pth", 224)
    state = torch.load(default_weights(), weights_only=True)
    state["_fc.bias"] = torch.zeros(10)
    torch.save(state, tmp_path / "shape.pth")
    with pytest.raises(InputError, match="tensor shapes differ"):
        build_efficientnet_lite0(tmp_path / "shape.pth", 224)
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(InputError, match=r"junk\.pth: not a PyTorch state dict"):
        build_efficientnet_lite0(tmp_path / "junk.pth", 224)
    with pytest.raises(InputError, match="multiple of 32"):
        EfficientNetLite0(image_size=100)


def test_crop_resizes_the_shorter_side_and_cuts_the_centre(tmp_path):
    wide = np.zeros((20, 40, 3), np.uint8)  # height 20, width 40
    wide[:, 10:30] = 255  # the centre square is white, the sides black
    Image.fromarray(wide).save(tmp_path / "wide.png")
    cropped = read_image(tmp_path / "wide.png", 10, resample="bilinear", crop=True)
    squashed = read_image(tmp_path / "wide.png", 10, resample="bilinear")
    assert cropped.shape == squashed.shape == (3, 10, 10)
    assert cropped[:, :, 2:8].min() == 255  # only the white centre is kept
    assert squashed[:, :, 0].max() < 128  # the squashed image keeps the black sides
    square = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(square).save(tmp_path / "square.png")
    np.testing.assert_array_equal(read_image(tmp_path / "square.png", 8, crop=True),
                                  read_image(tmp_path / "square.png", 8))


def test_pixels_given_as_an_array_are_prepared_as_the_decoded_file(tmp_path):
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(colour).save(tmp_path / "colour.png")
    np.testing.assert_array_equal(read_image(colour, 64), read_image(tmp_path / "colour.png", 64))
    np.testing.assert_array_equal(read_image(colour, 16, crop=True),
                                  read_image(tmp_path / "colour.png", 16, crop=True))
    grey = colour[:, :, 0]
    np.testing.assert_array_equal(read_image(grey, 8), read_image(np.stack([grey] * 3, 2), 8))
    for bad in (colour.astype(np.float32), colour[:, :, :2], colour[None]):
        with pytest.raises(ImageReadError, match="an image array must be uint8 of shape"):
            read_image(bad, 8)
