"""The ONNX graph of the talk's CNN (pipeline.onnx_model) against both frameworks, untrained models.

Scoring and Grad-CAM on a shared deployment run through ONNX Runtime with no framework loaded:
they must give what the frameworks give. Weights are random, BatchNorm statistics too (the
defaults would hide a wrong scale or shift).
"""

from pathlib import Path

import numpy as np
import pytest

import pipeline.explain.torch_cams as torch_cams  # the torch stack first: it must load before TensorFlow
from pipeline.explain import build_explainer
from pipeline.onnx_model import OnnxCNN, build_model, weights_from_keras, weights_from_torch
from tests.helpers.blocked import block_imports

ROOT = Path(__file__).resolve().parents[2]

torch = torch_cams.torch
SIZE = 72  # odd feature maps on the way down (72 -> 36 -> 18 -> 9 -> 4 -> 2): pooling crops


@pytest.fixture(scope="module")
def torch_model():
    from models.torch_cnn import PneumoniaCNN

    torch.manual_seed(0)
    model = PneumoniaCNN(SIZE, 1, 0.5)
    with torch.no_grad():
        for block in (1, 2, 3, 4):
            bn = getattr(model, f"bn{block}")
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def keras_model(torch_model):
    from models.keras_cnn import build_keras_cnn
    from tests.helpers.models import copy_weights

    model = build_keras_cnn(SIZE, 1, 0.5)
    copy_weights(torch_model, model)
    return model


def pixels(count=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, SIZE, SIZE), dtype=np.uint8)


def nchw(images):
    return np.asarray(images, np.float32)[:, None] / 255.0


def test_probabilities_match_torch(torch_model):
    onnx = OnnxCNN.from_bytes(build_model(weights_from_torch(torch_model)))
    x = nchw(pixels())
    with torch.no_grad():
        expected = torch.sigmoid(torch_model(torch.from_numpy(x))).numpy().ravel()
    assert np.abs(onnx.probability(x) - expected).max() < 1e-5
    from models.torch_cnn import count_parameters

    assert onnx.parameter_count() == count_parameters(torch_model)


def test_probabilities_match_keras(keras_model):
    onnx = OnnxCNN.from_bytes(build_model(weights_from_keras(keras_model)))
    x = nchw(pixels())
    expected = np.asarray(keras_model(x.transpose(0, 2, 3, 1), training=False)).ravel()
    assert np.abs(onnx.probability(x) - expected).max() < 1e-5
    assert onnx.parameter_count() == keras_model.count_params()


@pytest.mark.parametrize("layer", ["conv5", "conv4", "conv2"])
@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "hirescam", "xgradcam", "layercam"])
@pytest.mark.parametrize("target", [0, 1])
def test_maps_match_pytorch_grad_cam(torch_model, layer, method, target):
    onnx = OnnxCNN.from_bytes(build_model(weights_from_torch(torch_model)))
    images = pixels(2, seed=1)
    ours = build_explainer("onnx", onnx, nchw, method, layer, target)(images)
    theirs = build_explainer(
        "torch", torch_model, lambda p: torch.from_numpy(nchw(p)), method, layer, target
    )(images)
    assert ours.shape == theirs.shape == (2, SIZE, SIZE)
    assert np.abs(ours - theirs).max() < 1e-3


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
def test_maps_match_keras_gradient_tape(keras_model, method):
    onnx = OnnxCNN.from_bytes(build_model(weights_from_keras(keras_model)))
    images = pixels(2, seed=2)
    ours = build_explainer("onnx", onnx, nchw, method, "conv4")(images)
    theirs = build_explainer(
        "keras", keras_model, lambda p: nchw(p).transpose(0, 2, 3, 1), method, "conv4"
    )(images)
    assert np.abs(ours - theirs).max() < 1e-3


def test_the_graph_loads_without_any_framework(torch_model, tmp_path):
    """A child process that cannot import torch or TensorFlow scores and explains the graph."""
    import subprocess
    import sys

    path = tmp_path / "model.onnx"
    path.write_bytes(build_model(weights_from_torch(torch_model)))
    code = (
        block_imports("torch", "tensorflow", "keras", "torchvision") + "import numpy as np\n"
        "from pipeline.onnx_model import OnnxCNN\n"
        "from pipeline.explain import build_explainer\n"
        f"model = OnnxCNN.from_bytes(open({str(path)!r}, 'rb').read())\n"
        f"x = np.zeros((1, {SIZE}, {SIZE}), np.uint8)\n"
        "print(model.probability(x[:, None].astype(np.float32)))\n"
        "print(build_explainer('onnx', model, lambda p: p[:, None] / 255.0)(x).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"(1, {SIZE}, {SIZE})" in done.stdout
