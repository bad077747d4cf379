"""The talk's CNN as an ONNX graph: scored by ONNX Runtime, without Keras or PyTorch in the process.

    weights = weights_from_torch(model)   # or weights_from_keras(model): one layout for both
    onnx_bytes = build_model(weights)     # image (N, 1, S, S) -> probability, logit (N, 1)
    model = OnnxCNN.from_bytes(onnx_bytes)
    model.probability(x)                  # x: (N, 1, S, S) float32, as Preprocessing.apply gives
    model.activations_and_gradients(x, "conv5")   # for Grad-CAM, still without a framework

Why: a Streamlit process holding TensorFlow and torch peaks far above the Cloud's memory (see
docs/cloud.md). ONNX Runtime and this graph cost ~150 MB, and give the same probabilities as the
framework that trained the run (tests/explain/test_onnx.py compares them).

The graph is built here from the weights rather than by a converter (``torch.onnx`` or
``tf2onnx``): one builder serves both frameworks, it needs only the ``onnx`` package, and the
network is small and fixed (``models/__init__.py``): 5 x [Conv 3x3 same -> MaxPool 2 -> ReLU ->
BatchNorm (blocks 1-4)] -> Flatten -> Dense -> ReLU -> Dense. Everything is NCHW; a Keras
model's weights are transposed into that layout, including the rows of its first Dense layer
(Keras flattens height, width, channels; torch channels, height, width). BatchNorm is folded into
one scale and shift per channel (inference mode), so its constants (epsilon, momentum) travel
inside the numbers, not the code.

Grad-CAM needs dScore/dA at a conv layer. The backward pass of this network is short and
exact, so it is written as a second ONNX graph: Dense and ReLU backward as matrix products and
masks, BatchNorm as its scale, MaxPool by scattering to the indices ONNX's MaxPool returns, and
each Conv by a ConvTranspose with the same weights. The dropout layers do nothing at inference.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

BLOCKS = 5
OPSET = 18
_SHAPES = {
    "probability": ["N", 1],
    "logit": ["N", 1],
    "activations": ["N", "C", "H", "W"],
    "gradients": ["N", "C", "H", "W"],
}


# ---- weights in one layout ----


def weights_from_torch(model) -> dict[str, np.ndarray]:
    """A ``models.torch_cnn.PneumoniaCNN`` (eval mode) as NCHW arrays, BatchNorm folded."""
    weights: dict[str, np.ndarray] = {}
    for block in range(1, BLOCKS + 1):
        conv = getattr(model, f"conv{block}")
        weights[f"conv{block}.weight"] = _np(conv.weight)
        weights[f"conv{block}.bias"] = _np(conv.bias)
        bn = getattr(model, f"bn{block}", None)
        if bn is not None:
            _fold(
                weights,
                block,
                _np(bn.weight),
                _np(bn.bias),
                _np(bn.running_mean),
                _np(bn.running_var),
                bn.eps,
            )
    weights["dense.weight"], weights["dense.bias"] = _np(model.dense.weight), _np(model.dense.bias)
    weights["output.weight"] = _np(model.output.weight)
    weights["output.bias"] = _np(model.output.bias)
    return weights


def weights_from_keras(model) -> dict[str, np.ndarray]:
    """A ``models.keras_cnn`` model as NCHW arrays, BatchNorm folded."""
    weights: dict[str, np.ndarray] = {}
    names = {layer.name for layer in model.layers}
    for block in range(1, BLOCKS + 1):
        kernel, bias = (np.asarray(w) for w in model.get_layer(f"conv{block}").get_weights())
        weights[f"conv{block}.weight"] = kernel.transpose(3, 2, 0, 1).astype(
            np.float32
        )  # HWIO->OIHW
        weights[f"conv{block}.bias"] = bias.astype(np.float32)
        if f"bn{block}" in names:
            bn = model.get_layer(f"bn{block}")
            gamma, beta, mean, var = (np.asarray(w) for w in bn.get_weights())
            _fold(weights, block, gamma, beta, mean, var, bn.epsilon)
    last = model.get_layer(f"conv{BLOCKS}").output.shape  # (None, h, w, C) before pooling
    pooled = model.get_layer("flatten").input.shape  # (None, h', w', C)
    kernel, bias = (np.asarray(w) for w in model.get_layer("dense").get_weights())
    h, w, c = pooled[1], pooled[2], pooled[3]
    assert last[3] == c, (last, pooled)
    chw = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(c * h * w, -1)
    weights["dense.weight"], weights["dense.bias"] = (
        chw.T.astype(np.float32),
        bias.astype(np.float32),
    )
    kernel, bias = (np.asarray(w) for w in model.get_layer("output").get_weights())
    weights["output.weight"], weights["output.bias"] = (
        kernel.T.astype(np.float32),
        bias.astype(np.float32),
    )
    return weights


def _fold(weights, block, gamma, beta, mean, var, eps) -> None:
    scale = gamma / np.sqrt(var + eps)
    weights[f"bn{block}.scale"] = scale.astype(np.float32)
    weights[f"bn{block}.shift"] = (beta - mean * scale).astype(np.float32)


def _np(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float32)


# ---- graphs ----


def build_model(weights: dict[str, np.ndarray], gradient_layer: str | None = None) -> bytes:
    """The serialised ONNX model: ``image`` (N, 1, S, S) -> ``probability``, ``logit`` (N, 1).

    With ``gradient_layer`` (``conv1`` ... ``conv5``) it also outputs ``activations`` (that
    conv layer's output, NCHW) and ``gradients``, d logit / d activations, image by image.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = _Graph()
    saved, hidden, last = _forward(graph, weights)
    outputs = ["probability", "logit"]
    if gradient_layer is not None:
        _backward(graph, weights, saved, hidden, last, int(gradient_layer.removeprefix("conv")))
        outputs += ["activations", "gradients"]

    initializers = [
        numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in weights.items()
    ]
    initializers += [numpy_helper.from_array(v, k) for k, v in graph.constants.items()]
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "pneumonia_cnn",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, "S", "S"])],
            [
                helper.make_tensor_value_info(name, TensorProto.FLOAT, _SHAPES[name])
                for name in outputs
            ],
            initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="pneumolab",
    )
    model.ir_version = 9  # what ONNX Runtime 1.31 reads; newer onnx writes a later default
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _forward(graph: _Graph, weights: dict[str, np.ndarray]):
    """The forward pass, ``image`` to ``probability`` and ``logit``: what each block saved for
    the backward pass (conv output, pooled output, pooling indices), the dense layer's output
    and the last block's output."""
    x = "image"
    saved = {}
    for block in range(1, BLOCKS + 1):
        conv = graph.node(
            "Conv",
            [x, f"conv{block}.weight", f"conv{block}.bias"],
            pads=[1, 1, 1, 1],
            kernel_shape=[3, 3],
        )
        pooled, indices = graph.node(
            "MaxPool", [conv], outputs=2, kernel_shape=[2, 2], strides=[2, 2]
        )
        x = graph.node("Relu", [pooled])
        if f"bn{block}.scale" in weights:
            scale, shift = graph.channel(f"bn{block}.scale"), graph.channel(f"bn{block}.shift")
            x = graph.node("Add", [graph.node("Mul", [x, scale]), shift])
        saved[block] = (conv, pooled, indices)
    features = graph.node("Flatten", [x], axis=1)
    hidden = graph.node("Gemm", [features, "dense.weight", "dense.bias"], transB=1)
    logit = graph.node(
        "Gemm",
        [graph.node("Relu", [hidden]), "output.weight", "output.bias"],
        transB=1,
        name="logit",
    )
    graph.node("Sigmoid", [logit], name="probability")
    return saved, hidden, x


def _backward(graph, weights, saved, hidden, last, target_block: int) -> None:
    """d logit / d (conv ``target_block``'s output), written as graph nodes."""
    zero = graph.constant("zero", np.zeros((), np.float32))
    # Dense(1) and ReLU backward: the output weights where the hidden unit was active
    positive = graph.node("Greater", [hidden, zero])
    grad = graph.node("Where", [positive, "output.weight", zero])  # (N, U)
    grad = graph.node("MatMul", [grad, "dense.weight"])  # (N, C*h*w)
    grad = graph.node("Reshape", [grad, graph.node("Shape", [last])])
    for block in range(BLOCKS, target_block - 1, -1):
        conv, pooled, indices = saved[block]
        if f"bn{block}.scale" in weights:
            grad = graph.node("Mul", [grad, graph.channel(f"bn{block}.scale")])
        grad = graph.node("Where", [graph.node("Greater", [pooled, zero]), grad, zero])  # ReLU
        flat_shape = graph.constant("flat", np.array([-1], np.int64))
        routed = graph.node(  # MaxPool: each pooled cell's gradient goes to its maximum
            "ScatterElements",
            [
                graph.node("Reshape", [graph.node("Mul", [conv, zero]), flat_shape]),
                graph.node("Reshape", [indices, flat_shape]),
                graph.node("Reshape", [grad, flat_shape]),
            ],
            axis=0,
        )
        grad = graph.node("Reshape", [routed, graph.node("Shape", [conv])])
        if block == target_block:
            graph.node("Identity", [conv], name="activations")
            graph.node("Identity", [grad], name="gradients")
            return
        grad = graph.node(
            "ConvTranspose", [grad, f"conv{block}.weight"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]
        )  # Conv's gradient with respect to its input


class _Graph:
    """A list of ONNX nodes with generated names."""

    def __init__(self):
        self.nodes: list = []
        self.constants: dict[str, np.ndarray] = {}
        self.count = 0

    def node(self, op: str, inputs: list[str], outputs: int = 1, name: str | None = None, **attrs):
        from onnx import helper

        self.count += 1
        names = [name or f"{op.lower()}_{self.count}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, **attrs))
        return names[0] if outputs == 1 else names

    def constant(self, name: str, value: np.ndarray) -> str:
        self.constants.setdefault(name, value)
        return name

    def channel(self, weight: str) -> str:
        """A per-channel vector as (1, C, 1, 1), to broadcast over NCHW maps."""
        return self.node(
            "Unsqueeze", [weight, self.constant("chw_axes", np.array([0, 2, 3], np.int64))]
        )


# ---- running it ----


@dataclass
class OnnxCNN:
    """An ONNX Runtime session of the CNN (one thread pool, shared safely between sessions)."""

    onnx_bytes: bytes
    weights: dict[str, np.ndarray]

    def __post_init__(self):
        self._session = _session(self.onnx_bytes)
        self._gradient_sessions: dict[str, object] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_bytes(cls, onnx_bytes: bytes) -> OnnxCNN:
        import onnx
        from onnx import numpy_helper

        model = onnx.load_from_string(onnx_bytes)
        weights = {
            t.name: numpy_helper.to_array(t) for t in model.graph.initializer if "." in t.name
        }
        return cls(onnx_bytes, weights)

    def logit(self, x: np.ndarray) -> np.ndarray:
        """(N, 1, S, S) float32 -> (N,) logits."""
        return self._session.run(["logit"], {"image": _input(x)})[0].ravel()

    def probability(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(["probability"], {"image": _input(x)})[0].ravel()

    def activations_and_gradients(self, x: np.ndarray, layer: str) -> tuple[np.ndarray, np.ndarray]:
        """``layer``'s output (N, C, h, w) and d logit / d output, as Grad-CAM needs them."""
        with self._lock:
            if layer not in self._gradient_sessions:
                self._gradient_sessions[layer] = _session(build_model(self.weights, layer))
            session = self._gradient_sessions[layer]
        activations, gradients = session.run(["activations", "gradients"], {"image": _input(x)})
        return activations, gradients

    def parameter_count(self) -> int:
        """Weights as both frameworks count them: BatchNorm's 4 numbers per channel, not the 2 folded."""
        folded = sum(v.size for k, v in self.weights.items() if k.startswith("bn"))
        return int(sum(v.size for v in self.weights.values()) + folded)


def _session(onnx_bytes: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2  # the Cloud's cores; more threads only contend
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False  # give memory back after each batch (shared deployment)
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def _input(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    return x[:, None] if x.ndim == 3 else x
