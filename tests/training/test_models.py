"""The talk's CNN in Keras and in PyTorch: the same layers, shapes and weight counts."""

import re

import numpy as np
import pytest

from pipeline.frameworks import import_keras, import_torch

torch = import_torch()
keras = import_keras()

from models import MODEL_CODE_VERSION, check_input, keras_cnn, torch_cnn  # noqa: E402  # noqa: E402


@pytest.mark.parametrize(
    "img_size, channels, width", [(150, 1, 1.0), (64, 1, 0.5), (97, 3, 1.5), (32, 1, 0.25)]
)
def test_both_models_match_layer_by_layer(img_size, channels, width):
    torch_layers = torch_cnn.layer_summary(torch_cnn.PneumoniaCNN(img_size, channels, width))
    keras_layers = keras_cnn.layer_summary(keras_cnn.build_keras_cnn(img_size, channels, width))
    assert [layer.name for layer in torch_layers] == [layer.name for layer in keras_layers]
    for ours, theirs in zip(torch_layers, keras_layers):
        assert ours == theirs, f"layer {ours.name} differs"


def test_talk_sized_model_has_the_talk_layers_and_weights():
    layers = torch_cnn.layer_summary(torch_cnn.PneumoniaCNN(150))
    kinds = [layer.kind for layer in layers]
    assert (
        kinds.count("conv"),
        kinds.count("batchnorm"),
        kinds.count("maxpool"),
        kinds.count("dropout"),
    ) == (5, 4, 5, 2)
    assert [layer.output_shape[-1] for layer in layers if layer.kind == "conv"] == [
        32,
        64,
        64,
        128,
        256,
    ]
    assert layers[-1].output_shape == (1,)
    trainable = sum(layer.trainable for layer in layers)
    running_statistics = sum(layer.non_trainable for layer in layers)
    assert (trainable, running_statistics) == (949_889, 576)
    assert keras_cnn.build_keras_cnn(150).count_params() == 950_465
    assert torch_cnn.count_parameters(torch_cnn.PneumoniaCNN(150)) == 950_465


def test_outputs_are_a_logit_in_torch_and_a_probability_in_keras():
    x = np.random.default_rng(0).random((3, 48, 48, 1), dtype=np.float32) * 4 - 2
    logits = torch_cnn.PneumoniaCNN(48).eval()(torch.from_numpy(x).permute(0, 3, 1, 2))
    probabilities = keras_cnn.build_keras_cnn(48)(x, training=False).numpy()
    assert tuple(logits.shape) == probabilities.shape == (3, 1)
    assert np.all((probabilities > 0) & (probabilities < 1))


def test_both_start_from_keras_style_initialisation():
    """Glorot-uniform kernels and zero biases in both, so neither starts ahead."""
    model = torch_cnn.PneumoniaCNN(64)
    conv = model.conv3
    fan_in, fan_out = conv.in_channels * 9, conv.out_channels * 9
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert conv.weight.abs().max().item() <= limit
    assert conv.weight.abs().max().item() > 0.9 * limit
    assert torch.count_nonzero(conv.bias).item() == 0


def test_torch_weights_reload(tmp_path):
    model = torch_cnn.PneumoniaCNN(40, width=0.5).eval()
    torch.save(model.state_dict(), tmp_path / "model.pt")
    again = torch_cnn.load(tmp_path / "model.pt", 40, width=0.5)
    x = torch.rand(2, 1, 40, 40)
    assert torch.equal(model(x), again(x))


@pytest.mark.parametrize(
    "img_size, channels, width, message",
    [
        (31, 1, 1.0, "img_size must be at least 32"),
        (64, 2, 1.0, "channels must be 1"),
        (64, 1, 0.0, "width must be positive"),
    ],
)
def test_impossible_shapes_are_refused(img_size, channels, width, message):
    with pytest.raises(ValueError, match=message):
        check_input(img_size, channels, width)
    with pytest.raises(ValueError, match=message):
        torch_cnn.PneumoniaCNN(img_size, channels, width)
    with pytest.raises(ValueError, match=message):
        keras_cnn.build_keras_cnn(img_size, channels, width)


def test_model_code_version_is_a_hash_of_the_model_sources():
    import hashlib
    from pathlib import Path

    import models

    here = Path(models.__file__).parent
    digest = hashlib.sha256()
    for name in ("__init__.py", "keras_cnn.py", "torch_cnn.py"):
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    assert re.fullmatch(r"[0-9a-f]{16}", MODEL_CODE_VERSION)
    assert digest.hexdigest()[:16] == MODEL_CODE_VERSION
