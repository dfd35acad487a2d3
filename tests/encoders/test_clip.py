"""The CLIP path on a tiny randomly initialised CLIP (no pretrained weights exist here)."""

import numpy as np
import pytest
import torch
from PIL import Image

from cmhash.encoders import ClipImage, ClipText, load_clip
from cmhash.errors import InputError


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        pixels = rng.integers(0, 256, (20 + 7 * i, 24, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
        paths.append(str(folder / f"{i}.png"))
    return paths


def test_image_tokens_and_global_match_clip_itself(tiny_clip, images):
    folder, model, _ = tiny_clip
    encoder = ClipImage(folder)
    out = encoder.encode(images)
    assert out.global_features.shape == (3, 512) and out.tokens.shape == (3, 16, 512)
    pixels = encoder.collate([encoder.load(p) for p in images])
    with torch.inference_mode():
        expected = model.get_image_features(pixel_values=pixels)
    expected = getattr(expected, "pooler_output", expected)
    np.testing.assert_allclose(out.global_features, expected.numpy(), atol=1e-5)


def test_text_global_is_the_end_token_and_the_mask_hides_padding_and_end(tiny_clip):
    folder, model, tokenizer = tiny_clip
    encoder = ClipText(folder, max_tokens=12)
    texts = ["sky sea", "dog", "a b c d e f g h i j k l m n"]
    out = encoder.encode(texts)
    assert out.tokens.shape == (3, 12, 512) and out.mask.shape == (3, 12)
    lengths = [len(tokenizer(t, truncation=True, max_length=12)["input_ids"]) for t in texts]
    assert lengths == [8, 5, 12]  # start + characters + end, truncated to 12
    assert out.mask.sum(1).tolist() == [n - 1 for n in lengths]  # end-of-text hidden
    assert out.mask[:, 0].all()  # the start token stays visible
    batch = tokenizer(texts, padding="max_length", truncation=True, max_length=12,
                      return_tensors="pt")
    with torch.inference_mode():
        expected = model.get_text_features(**batch)
    expected = getattr(expected, "pooler_output", expected)
    np.testing.assert_allclose(out.global_features, expected.numpy(), atol=1e-5)
    np.testing.assert_allclose(out.tokens[np.arange(3), np.array(lengths) - 1],
                               out.global_features, atol=1e-6)


def _openai_layout(model):
    """The tiny model's weights under OpenAI CLIP's key names and tensor layouts."""
    hf = model.state_dict()
    out = {
        "token_embedding.weight": hf["text_model.embeddings.token_embedding.weight"],
        "positional_embedding": hf["text_model.embeddings.position_embedding.weight"],
        "ln_final.weight": hf["text_model.final_layer_norm.weight"],
        "ln_final.bias": hf["text_model.final_layer_norm.bias"],
        "text_projection": hf["text_projection.weight"].T,
        "logit_scale": hf["logit_scale"],
        "visual.class_embedding": hf["vision_model.embeddings.class_embedding"],
        "visual.positional_embedding": hf["vision_model.embeddings.position_embedding.weight"],
        "visual.conv1.weight": hf["vision_model.embeddings.patch_embedding.weight"],
        "visual.ln_pre.weight": hf["vision_model.pre_layrnorm.weight"],
        "visual.ln_pre.bias": hf["vision_model.pre_layrnorm.bias"],
        "visual.ln_post.weight": hf["vision_model.post_layernorm.weight"],
        "visual.ln_post.bias": hf["vision_model.post_layernorm.bias"],
        "visual.proj": hf["visual_projection.weight"].T,
        "input_resolution": torch.tensor(32),
    }
    for tower, prefix in (("text_model", "transformer"), ("vision_model",
                                                          "visual.transformer")):
        for i in range(2):
            hf_layer, layer = f"{tower}.encoder.layers.{i}", f"{prefix}.resblocks.{i}"
            for kind in ("weight", "bias"):
                out[f"{layer}.attn.in_proj_{kind}"] = torch.cat(
                    [hf[f"{hf_layer}.self_attn.{p}_proj.{kind}"] for p in "qkv"])
                for openai, name in (("attn.out_proj", "self_attn.out_proj"),
                                     ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                                     ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
                    out[f"{layer}.{openai}.{kind}"] = hf[f"{hf_layer}.{name}.{kind}"]
    return {k: v.clone().contiguous() for k, v in out.items()}


def test_openai_state_dict_converts_to_the_same_model(tiny_clip, images, tmp_path):
    folder, model, _ = tiny_clip
    torch.save(_openai_layout(model), tmp_path / "ViT-tiny.pt")
    converted, _ = load_clip(tmp_path / "ViT-tiny.pt", tokenizer_dir=folder)
    assert set(converted.state_dict()) == set(model.state_dict())
    for key, value in model.state_dict().items():
        torch.testing.assert_close(converted.state_dict()[key], value, msg=key)
    from_file = ClipImage(tmp_path / "ViT-tiny.pt", tokenizer_dir=folder).encode(images)
    np.testing.assert_allclose(from_file.tokens, ClipImage(folder).encode(images).tokens,
                               atol=1e-6)


# a real TorchScript archive, as OpenAI's CLIP files are; torch warns that torch.jit is deprecated
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_bad_clip_files(tiny_clip, tmp_path):
    folder, model, _ = tiny_clip
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    scripted.save(str(tmp_path / "jit.pt"))
    with pytest.raises(InputError, match="TorchScript"):
        load_clip(tmp_path / "jit.pt", tokenizer_dir=folder)
    state = _openai_layout(model)
    state["visual.extra"] = torch.zeros(1)
    torch.save(state, tmp_path / "extra.pt")
    with pytest.raises(InputError, match=r"not an OpenAI CLIP state dict.*visual\.extra"):
        load_clip(tmp_path / "extra.pt", tokenizer_dir=folder)
    with pytest.raises(InputError, match="needs a tokenizer folder"):
        load_clip(tmp_path / "extra.pt")
    with pytest.raises(InputError, match="CLIP weights not found"):
        load_clip(tmp_path / "none.pt", tokenizer_dir=folder)
