"""The talk's comparison table of deep-learning software, in the style of Wikipedia's
"Comparison of deep learning software", each cell with the page that states it.

One ``Software`` per row (BigDL, Caffe, Chainer, Deeplearning4j, Dlib, Flux, and the frameworks
of ``framework_features``: JAX, Keras, Apache MXNet, PyTorch, TensorFlow). Only facts that a
project's own pages, its paper or its licence file state; nothing measured, nothing ranked.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMNS = ("Creator", "First release", "Licence", "Written in", "Interfaces", "CUDA GPUs")
WIKIPEDIA = "https://en.wikipedia.org/wiki/Comparison_of_deep_learning_software"


@dataclass(frozen=True)
class Software:
    name: str
    cells: dict[str, str]  # COLUMNS -> text
    sources: dict[str, str]  # COLUMNS -> the URL that states the cell

    def source_of(self, column: str) -> str:
        return self.sources[column]


def _same(url: str, *columns: str) -> dict[str, str]:
    return dict.fromkeys(columns, url)


SOFTWARE: tuple[Software, ...] = (
    Software(
        "BigDL",
        {
            "Creator": "Intel",
            "First release": "2016",
            "Licence": "Apache 2.0",
            "Written in": "Scala, Python",
            "Interfaces": "Scala, Python (Spark)",
            "CUDA GPUs": "No: CPUs in Spark",
        },
        {
            **_same("https://arxiv.org/abs/1804.05839", "Creator", "First release", "CUDA GPUs"),
            **_same(
                "https://github.com/intel-analytics/BigDL", "Licence", "Written in", "Interfaces"
            ),
        },
    ),
    Software(
        "Caffe",
        {
            "Creator": "Berkeley (BVLC)",
            "First release": "2013",
            "Licence": "BSD 2-Clause",
            "Written in": "C++",
            "Interfaces": "Python, MATLAB, command line",
            "CUDA GPUs": "Yes",
        },
        {
            **_same("https://arxiv.org/abs/1408.5093", "Creator", "First release", "CUDA GPUs"),
            **_same("https://github.com/BVLC/caffe", "Licence", "Written in"),
            "Interfaces": "https://caffe.berkeleyvision.org/tutorial/interfaces.html",
        },
    ),
    Software(
        "Chainer",
        {
            "Creator": "Preferred Networks",
            "First release": "2015",
            "Licence": "MIT",
            "Written in": "Python",
            "Interfaces": "Python",
            "CUDA GPUs": "Yes (CuPy)",
        },
        {
            **_same("https://chainer.org/", "Creator", "CUDA GPUs"),
            "First release": "http://learningsys.org/papers/LearningSys_2015_paper_33.pdf",
            **_same("https://github.com/chainer/chainer", "Licence", "Written in", "Interfaces"),
        },
    ),
    Software(
        "Deeplearning4j",
        {
            "Creator": "Skymind; now Eclipse",
            "First release": "2014",
            "Licence": "Apache 2.0",
            "Written in": "Java, C++",
            "Interfaces": "Java, Scala, Kotlin",
            "CUDA GPUs": "Yes",
        },
        {
            "Creator": "https://projects.eclipse.org/projects/technology.deeplearning4j",
            "First release": WIKIPEDIA,
            **_same(
                "https://github.com/deeplearning4j/deeplearning4j",
                "Licence",
                "Written in",
                "Interfaces",
                "CUDA GPUs",
            ),
        },
    ),
    Software(
        "Dlib",
        {
            "Creator": "Davis E. King",
            "First release": "2002",
            "Licence": "Boost",
            "Written in": "C++",
            "Interfaces": "C++, Python",
            "CUDA GPUs": "Yes (its DNN tools)",
        },
        {
            "Creator": "https://jmlr.org/papers/v10/king09a.html",
            "First release": "http://dlib.net/release_notes.html",
            "Licence": "http://dlib.net/license.html",
            **_same("http://dlib.net/", "Written in", "Interfaces"),
            "CUDA GPUs": "http://dlib.net/ml.html#add_layer",
        },
    ),
    Software(
        "Flux",
        {
            "Creator": "Mike Innes (FluxML)",
            "First release": "2017",
            "Licence": "MIT",
            "Written in": "Julia",
            "Interfaces": "Julia",
            "CUDA GPUs": "Yes (CUDA.jl)",
        },
        {
            "Creator": "https://doi.org/10.21105/joss.00602",
            "First release": WIKIPEDIA,
            **_same("https://github.com/FluxML/Flux.jl", "Licence", "Written in", "Interfaces"),
            "CUDA GPUs": "https://fluxml.ai/Flux.jl/stable/guide/gpu/",
        },
    ),
    Software(
        "JAX",
        {
            "Creator": "Google",
            "First release": "2018",
            "Licence": "Apache 2.0",
            "Written in": "Python, C++",
            "Interfaces": "Python",
            "CUDA GPUs": "Yes; also TPUs",
        },
        {
            **_same(
                "https://github.com/jax-ml/jax", "Creator", "Licence", "Written in", "Interfaces"
            ),
            "First release": "https://mlsys.org/Conferences/doc/2018/146.pdf",
            "CUDA GPUs": "https://docs.jax.dev/en/latest/installation.html",
        },
    ),
    Software(
        "Keras",
        {
            "Creator": "François Chollet",
            "First release": "2015",
            "Licence": "Apache 2.0",
            "Written in": "Python",
            "Interfaces": "Python; R",
            "CUDA GPUs": "Via its backend",
        },
        {
            **_same("https://keras.io/about/", "Creator", "First release"),
            **_same("https://github.com/keras-team/keras", "Licence", "Written in"),
            "Interfaces": "https://keras3.posit.co/",
            "CUDA GPUs": "https://keras.io/getting_started/",
        },
    ),
    Software(
        "Apache MXNet",
        {
            "Creator": "DMLC, Apache; retired 2023",
            "First release": "2015",
            "Licence": "Apache 2.0",
            "Written in": "C++",
            "Interfaces": "Python, C++, Scala, R, Julia, …",
            "CUDA GPUs": "Yes",
        },
        {
            "Creator": "https://attic.apache.org/projects/mxnet.html",
            "First release": "https://arxiv.org/abs/1512.01274",
            **_same(
                "https://mxnet.apache.org/versions/1.9.1/",
                "Licence",
                "Written in",
                "Interfaces",
                "CUDA GPUs",
            ),
        },
    ),
    Software(
        "PyTorch",
        {
            "Creator": "Facebook AI Research",
            "First release": "2017 (January)",
            "Licence": "BSD 3-Clause",
            "Written in": "Python, C++, CUDA",
            "Interfaces": "Python, C++",
            "CUDA GPUs": "Yes; ROCm, Apple MPS",
        },
        {
            # the PyTorch paper: its authors at Facebook AI Research, released in January 2017
            **_same("https://arxiv.org/abs/1912.01703", "Creator", "First release"),
            **_same("https://github.com/pytorch/pytorch", "Licence", "Written in"),
            "Interfaces": "https://pytorch.org/cppdocs/",
            "CUDA GPUs": "https://pytorch.org/get-started/locally/",
        },
    ),
    Software(
        "TensorFlow",
        {
            "Creator": "Google Brain",
            "First release": "2015",
            "Licence": "Apache 2.0",
            "Written in": "C++, Python, CUDA",
            "Interfaces": "Python, C++, JavaScript, Java",
            "CUDA GPUs": "Yes; also TPUs",
        },
        {
            "Creator": "https://arxiv.org/abs/1603.04467",
            "First release": "https://arxiv.org/abs/1603.04467",
            **_same("https://github.com/tensorflow/tensorflow", "Licence", "Written in"),
            "Interfaces": "https://www.tensorflow.org/api_docs",
            "CUDA GPUs": "https://www.tensorflow.org/install/pip",
        },
    ),
)


@dataclass(frozen=True)
class Correction:
    """A cell where this table says something else than the talk's own table, and why."""

    software: str
    column: str
    talk_said: str
    why: str

    def shown(self) -> str:
        return next(s for s in SOFTWARE if s.name == self.software).cells[self.column]


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "Chainer",
        "Licence",
        "BSD",
        "Chainer's LICENSE file is the MIT licence (github.com/chainer/chainer).",
    ),
)


def corrections_text() -> str:
    """One sentence naming every cell corrected from the talk's table, for under the table."""
    return "Corrected from the talk's table: " + "; ".join(
        f"{c.software}'s {c.column.lower()} is {c.shown()}, not {c.talk_said} ({c.why})"
        for c in CORRECTIONS
    )


def without_python_or_jvm() -> list[str]:
    """The software whose interfaces name neither Python nor a JVM language (Java, Scala, Kotlin)."""
    jvm = ("Python", "Java", "Scala", "Kotlin")
    return [s.name for s in SOFTWARE if not any(word in s.cells["Interfaces"] for word in jvm)]


def table_rows() -> list[dict[str, str]]:
    """One dict per software: its name, then each column's text (the page's table)."""
    return [{"Software": s.name, **{c: s.cells[c] for c in COLUMNS}} for s in SOFTWARE]


def source_rows() -> list[dict[str, str]]:
    """Every cell's source: software, column, text, URL."""
    return [
        {"software": s.name, "column": c, "says": s.cells[c], "source": s.source_of(c)}
        for s in SOFTWARE
        for c in COLUMNS
    ]
