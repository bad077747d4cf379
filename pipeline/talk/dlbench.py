"""DLBench, the paper behind the talk's "breakthrough of deep-learning frameworks" figure and its
"Deep Learning Frameworks" comparison, and the framework releases that figure is about.

    R. Elshawi, A. Wahab, A. Barnawi, S. Sakr, "DLBench: a comprehensive experimental evaluation
    of deep learning frameworks", Cluster Computing 24, 2021 (doi:10.1007/s10586-021-03240-4).

Two things are taken from it, each from where it can be checked:

- ``RELEASES``: the nine frameworks the paper's introduction names with its Fig. 1 (TensorFlow,
  MXNet, Chainer, Torch, PyTorch, Theano, CNTK, Caffe, Keras), each placed at its first public
  release as its own paper or repository records it. The figure itself is an image that could not
  be read here, so its drawing is not copied: the years are the projects' own.
- ``MNIST_CPU``: the CNN the paper trained on MNIST on a CPU, one row per framework it studied:
  the test accuracy after 15 epochs and the run's wall time, as printed at the end of the logs
  published with the paper (github.com/DataSystemsGroupUT/DLBench, ``CPU Experiment/CPU logs/
  MNIST/<framework>/log.txt``, commit 2f2a4ba), with the versions its README lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.talk.software_table import SOFTWARE

CITATION = (
    "R. Elshawi, A. Wahab, A. Barnawi, S. Sakr, DLBench: a comprehensive experimental evaluation "
    "of deep learning frameworks, Cluster Computing 24, 2021"
)
DOI = "https://doi.org/10.1007/s10586-021-03240-4"
REPOSITORY = "https://github.com/DataSystemsGroupUT/DLBench"
_COMMIT = "2f2a4bae1407003bcb8c1cbf908498bf87776937"
_LOG = REPOSITORY + "/blob/" + _COMMIT + "/CPU%20Experiment/CPU%20logs/MNIST/{folder}/log.txt"
FIGURE_1_NAMES = (
    "TensorFlow",
    "MXNet",
    "Chainer",
    "Torch",
    "PyTorch",
    "Theano",
    "CNTK",
    "Caffe",
    "Keras",
)  # in the order of the paper's sentence that points to Fig. 1
MACHINE = "one machine, 32-core Intel Xeon (Skylake) at 2.0 GHz, 64 GB, CentOS 7.5; no GPU"
EPOCHS = 15


@dataclass(frozen=True)
class Release:
    name: str
    year: int
    what: str  # one line: who, and what kind of framework
    source: str  # the page or paper that dates it
    url: str


@dataclass(frozen=True)
class MnistResult:
    framework: str
    version: str  # as DLBench's README lists it
    test_accuracy: float  # after the last epoch, as the log prints it
    seconds: float  # the wall time the log prints at its end
    log_url: str

    @property
    def minutes(self) -> float:
        return self.seconds / 60


def _from_table(name: str, what: str) -> Release:
    """A release already in the software table: the same year and the same source, one fact."""
    software = next(s for s in SOFTWARE if s.name == name)
    year = int(software.cells["First release"][:4])
    return Release(
        name, year, what, "as in the software table", software.source_of("First release")
    )


RELEASES: tuple[Release, ...] = tuple(
    sorted(
        (
            Release(
                "Theano",
                2008,
                "Université de Montréal: symbolic graphs compiled for CPU and GPU",
                "Theano Development Team, arXiv:1605.02688, 2016: developed since 2008",
                "https://arxiv.org/abs/1605.02688",
            ),
            Release(
                "Torch",
                2011,
                "Idiap, NEC, NYU: Torch7, numeric computing in Lua",
                "R. Collobert, K. Kavukcuoglu, C. Farabet, Torch7: a Matlab-like environment for "
                "machine learning, BigLearn, NIPS Workshop 2011",
                "https://ronan.collobert.com/pub/matos/2011_torch7_nipsw.pdf",
            ),
            _from_table("Caffe", "Berkeley: layers configured in files, C++ and CUDA"),
            _from_table("Chainer", "Preferred Networks: the first define-by-run framework"),
            _from_table("Keras", "a high-level API on top of a backend"),
            _from_table("Apache MXNet", "DMLC: symbolic and imperative, many languages"),
            _from_table("TensorFlow", "Google Brain: dataflow graphs, from phones to TPUs"),
            Release(
                "CNTK",
                2016,
                "Microsoft Research: the Computational Network Toolkit, open-sourced in January 2016",
                "Microsoft CNTK repository on GitHub",
                "https://github.com/microsoft/CNTK",
            ),
            _from_table(
                "PyTorch", "Facebook AI Research: define-by-run in Python, Torch's successor"
            ),
        ),
        key=lambda release: (release.year, release.name),
    )
)

MNIST_CPU: tuple[MnistResult, ...] = (
    MnistResult("TensorFlow", "1.11", 0.985, 425.95, _LOG.format(folder="Tensorflow")),
    MnistResult("Keras", "2.2.4 on TensorFlow 1.11.0", 0.9828, 449.13, _LOG.format(folder="Keras")),
    MnistResult("PyTorch", "0.4.1", 0.9840, 1655.93, _LOG.format(folder="Pytorch")),
    MnistResult("Theano", "1.0.2", 0.9837, 4033.32, _LOG.format(folder="Theano")),
    MnistResult("MXNet", "1.3.0", 0.9813, 4155.58, _LOG.format(folder="Mxnet")),
    MnistResult("Chainer", "4.5.0", 0.9644, 5281.65, _LOG.format(folder="Chainer")),
)
MNIST_BASIS = (
    f"The same CNN on MNIST (60,000 training and 10,000 test images), {EPOCHS} epochs, batch 128, "
    f"on {MACHINE}. Test accuracy after the last epoch and the run's wall time, as each framework's "
    "log prints them: one run each, so differences of a few tenths of a point are not a ranking."
)


def fastest(results: tuple[MnistResult, ...] = MNIST_CPU) -> MnistResult:
    return min(results, key=lambda result: result.seconds)


def result_of(framework: str) -> MnistResult:
    return next(result for result in MNIST_CPU if result.framework == framework)
