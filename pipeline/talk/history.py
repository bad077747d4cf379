"""Deep learning's history as data: the events of the talk's timeline and the ImageNet error by year.

Every entry names its source (the paper, book or results page that records it), so that each
number and date the Introduction page shows can be checked. The page only draws these lists;
nothing here is computed.

ILSVRC figures are the classification task's top-5 error of the winning entry, as published on
the challenge's results pages (image-net.org/challenges/LSVRC/<year>/results) and in the papers
of the winning teams. Where a team also entered a model trained with extra data, the figure
here is the one the talk quotes, and ``note`` says what the other one was.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    year: int
    title: str
    what: str  # what happened, in one line
    why: str  # why it mattered, in one line
    theme: str  # one of THEMES: the timeline's lane
    source: str  # citation
    url: str


@dataclass(frozen=True)
class Era:
    """A stretch of years the timeline shades (the AI winters)."""

    start: int
    end: int
    name: str
    why: str
    source: str
    url: str


@dataclass(frozen=True)
class IlsvrcResult:
    year: int
    top5_error: float  # percent, classification task, winning entry
    winner: str  # team (and model) that won
    deep: bool  # a deep neural network
    source: str
    url: str
    note: str = ""


THEMES = ("ideas", "architectures", "data and hardware", "tools", "medicine")

TIMELINE: tuple[Event, ...] = (
    Event(
        1958,
        "The perceptron",
        "Rosenblatt's perceptron learns the weights of a single artificial neuron from examples.",
        "Among the first machines to learn a classifier from labelled examples instead of being "
        "programmed: its weights came from a learning rule, not from its designer.",
        "ideas",
        "F. Rosenblatt, The perceptron: a probabilistic model for information storage and organization "
        "in the brain, Psychological Review 65(6), 1958",
        "https://doi.org/10.1037/h0042519",
    ),
    Event(
        1969,
        "Perceptrons (Minsky and Papert)",
        "The book proves that a single-layer perceptron cannot compute functions such as XOR.",
        "No known way to train several layers: funding moved away, and the first AI winter followed.",
        "ideas",
        "M. Minsky, S. Papert, Perceptrons, MIT Press, 1969",
        "https://mitpress.mit.edu/9780262631112/perceptrons/",
    ),
    Event(
        1986,
        "Backpropagation",
        "Rumelhart, Hinton and Williams train multi-layer networks by propagating the error gradient back.",
        "Hidden layers learn their own features: the answer to the 1969 objection.",
        "ideas",
        "D. E. Rumelhart, G. E. Hinton, R. J. Williams, Learning representations by back-propagating "
        "errors, Nature 323, 1986",
        "https://doi.org/10.1038/323533a0",
    ),
    Event(
        1989,
        "Convolutional networks read zip codes",
        "LeCun et al. train a convolutional network with backpropagation on handwritten zip codes.",
        "Shared weights and local receptive fields: the structure every image model since has kept.",
        "architectures",
        "Y. LeCun et al., Backpropagation applied to handwritten zip code recognition, Neural "
        "Computation 1(4), 1989",
        "https://doi.org/10.1162/neco.1989.1.4.541",
    ),
    Event(
        1995,
        "Support vector machines",
        "Cortes and Vapnik's support-vector networks: a convex problem with one best answer.",
        "Easier to train and to analyse than neural networks; they won most benchmarks for a decade.",
        "ideas",
        "C. Cortes, V. Vapnik, Support-vector networks, Machine Learning 20, 1995",
        "https://doi.org/10.1007/BF00994018",
    ),
    Event(
        1997,
        "LSTM",
        "Hochreiter and Schmidhuber's long short-term memory keeps gradients alive through long sequences.",
        "Recurrent networks that remember: speech and translation models for the next two decades.",
        "architectures",
        "S. Hochreiter, J. Schmidhuber, Long short-term memory, Neural Computation 9(8), 1997",
        "https://doi.org/10.1162/neco.1997.9.8.1735",
    ),
    Event(
        1998,
        "LeNet-5 and MNIST",
        "LeCun, Bottou, Bengio and Haffner's LeNet-5 reads cheques; the MNIST digits become the benchmark.",
        "A convolutional network deployed in industry, years before the rest of the field followed.",
        "architectures",
        "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, Gradient-based learning applied to document "
        "recognition, Proceedings of the IEEE 86(11), 1998",
        "https://doi.org/10.1109/5.726791",
    ),
    Event(
        2006,
        "Deep belief networks",
        "Hinton, Osindero and Teh pre-train deep networks one layer at a time.",
        "Deep networks could be trained after all: the name 'deep learning' spreads.",
        "ideas",
        "G. E. Hinton, S. Osindero, Y.-W. Teh, A fast learning algorithm for deep belief nets, "
        "Neural Computation 18(7), 2006",
        "https://doi.org/10.1162/neco.2006.18.7.1527",
    ),
    Event(
        2009,
        "ImageNet",
        "Deng et al. publish ImageNet: millions of labelled images in thousands of categories.",
        "Enough data to train large models without overfitting, and a common yardstick (ILSVRC from 2010).",
        "data and hardware",
        "J. Deng et al., ImageNet: a large-scale hierarchical image database, CVPR 2009",
        "https://doi.org/10.1109/CVPR.2009.5206848",
    ),
    Event(
        2009,
        "Training on GPUs",
        "Raina, Madhavan and Ng train large networks on graphics processors, tens of times faster than CPUs.",
        "Compute caught up with the ideas of the 1980s.",
        "data and hardware",
        "R. Raina, A. Madhavan, A. Y. Ng, Large-scale deep unsupervised learning using graphics "
        "processors, ICML 2009",
        "https://doi.org/10.1145/1553374.1553486",
    ),
    Event(
        2012,
        "AlexNet wins ILSVRC",
        "Krizhevsky, Sutskever and Hinton's CNN, trained on two GPUs, wins with 16.4% top-5 error (next: 26.2%).",
        "ReLU, dropout and GPUs: the result that turned computer vision to deep learning.",
        "architectures",
        "A. Krizhevsky, I. Sutskever, G. E. Hinton, ImageNet classification with deep convolutional "
        "neural networks, NeurIPS 2012",
        "https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks",
    ),
    Event(
        2014,
        "Deeper: VGG and GoogLeNet",
        "VGG stacks 3x3 convolutions 16-19 layers deep; GoogLeNet's Inception modules go to 22 layers.",
        "Depth pays: ILSVRC 2014's top-5 error falls to 6.7%.",
        "architectures",
        "K. Simonyan, A. Zisserman, Very deep convolutional networks for large-scale image "
        "recognition, ICLR 2015; C. Szegedy et al., Going deeper with convolutions, CVPR 2015",
        "https://arxiv.org/abs/1409.1556",
    ),
    Event(
        2015,
        "Keras and TensorFlow released",
        "Keras (March) and TensorFlow (November) are published as open source.",
        "A few lines of Python define and train a network: deep learning for every developer.",
        "tools",
        "F. Chollet et al., Keras, 2015 (github.com/keras-team/keras); M. Abadi et al., TensorFlow: "
        "large-scale machine learning on heterogeneous systems, 2015 (tensorflow.org)",
        "https://arxiv.org/abs/1603.04467",
    ),
    Event(
        2015,
        "ResNet",
        "He et al.'s residual connections train networks of 152 layers; ILSVRC top-5 error 3.57%.",
        "Below the estimated human error on the task, and the backbone of most vision models since.",
        "architectures",
        "K. He, X. Zhang, S. Ren, J. Sun, Deep residual learning for image recognition, CVPR 2016",
        "https://arxiv.org/abs/1512.03385",
    ),
    Event(
        2017,
        "PyTorch",
        "Facebook AI Research releases PyTorch (January): define-by-run, the model is ordinary Python.",
        "Debuggable models; within a few years the framework most research papers use.",
        "tools",
        "A. Paszke et al., PyTorch: an imperative style, high-performance deep learning library, "
        "NeurIPS 2019",
        "https://arxiv.org/abs/1912.01703",
    ),
    Event(
        2017,
        "The Transformer",
        "Vaswani et al. replace recurrence with attention.",
        "The architecture behind today's language models, and later vision transformers.",
        "architectures",
        "A. Vaswani et al., Attention is all you need, NeurIPS 2017",
        "https://arxiv.org/abs/1706.03762",
    ),
    Event(
        2018,
        "Chest X-rays and transfer learning",
        "Kermany et al. classify pediatric chest X-rays (pneumonia vs normal) with a CNN, 92.8% accuracy.",
        "The data set of this demonstration: deep learning reaches medical imaging.",
        "medicine",
        "D. S. Kermany et al., Identifying medical diagnoses and treatable diseases by image-based "
        "deep learning, Cell 172(5), 2018",
        "https://doi.org/10.1016/j.cell.2018.02.010",
    ),
    Event(
        2023,
        "Keras 3: one API, three backends",
        "Keras 3 runs the same model code on TensorFlow, JAX or PyTorch.",
        "The Keras-or-PyTorch choice becomes an API choice more than an engine choice.",
        "tools",
        "Keras team, Introducing Keras 3.0, keras.io, 2023",
        "https://keras.io/keras_3/",
    ),
)

WINTERS: tuple[Era, ...] = (
    Era(
        1969,
        1980,
        "First AI winter",
        "After Perceptrons (1969) and the Lighthill report (1973), funding for neural networks and AI dried up.",
        "J. Lighthill, Artificial Intelligence: a general survey, Science Research Council, 1973",
        "https://www.chilton-computing.org.uk/inf/literature/reports/lighthill_report/contents.htm",
    ),
    Era(
        1995,
        2006,
        "Second AI winter",
        "Neural networks out of favour: from the late 1990s SVMs and hand-made features won the "
        "benchmarks, deep networks trained badly (vanishing gradients) and lacked data and compute; "
        "interest revived around 2006.",
        "Y. LeCun, Y. Bengio, G. Hinton, Deep learning, Nature 521, 2015",
        "https://doi.org/10.1038/nature14539",
    ),
)
# The talk's two winters are those of neural networks. Every page and note dates them from
# WINTERS (``winter``), so that the Introduction, the perceptron, the vanishing gradient and the
# speaker notes say the same years.


def winter(number: int) -> Era:
    """The talk's first (1) or second (2) winter."""
    return WINTERS[number - 1]


def span(era: Era) -> str:
    return f"{era.start}-{era.end}"


_RESULTS = "https://image-net.org/challenges/LSVRC/{year}/results"

ILSVRC_TOP5: tuple[IlsvrcResult, ...] = (
    IlsvrcResult(
        2010,
        28.2,
        "NEC-UIUC (SIFT and LBP features, linear SVMs)",
        False,
        "ILSVRC 2010 results",
        _RESULTS.format(year=2010),
    ),
    IlsvrcResult(
        2011,
        25.8,
        "XRCE (Fisher vectors, linear SVMs)",
        False,
        "ILSVRC 2011 results",
        _RESULTS.format(year=2011),
    ),
    IlsvrcResult(
        2012,
        16.4,
        "SuperVision (AlexNet)",
        True,
        "ILSVRC 2012 results; Krizhevsky et al., NeurIPS 2012",
        _RESULTS.format(year=2012),
        "15.3% with extra training data from ImageNet Fall 2011",
    ),
    IlsvrcResult(
        2013,
        11.7,
        "Clarifai (Zeiler and Fergus)",
        True,
        "ILSVRC 2013 results; M. D. Zeiler, R. Fergus, Visualizing and understanding "
        "convolutional networks, ECCV 2014",
        _RESULTS.format(year=2013),
        "11.2% with extra training data",
    ),
    IlsvrcResult(
        2014,
        6.7,
        "GoogLeNet (Inception)",
        True,
        "ILSVRC 2014 results; Szegedy et al., CVPR 2015",
        _RESULTS.format(year=2014),
        "VGG second with 7.3%",
    ),
    IlsvrcResult(
        2015,
        3.57,
        "MSRA (ResNet)",
        True,
        "ILSVRC 2015 results; He et al., CVPR 2016",
        _RESULTS.format(year=2015),
    ),
    IlsvrcResult(
        2016,
        2.99,
        "Trimps-Soushen (ensemble)",
        True,
        "ILSVRC 2016 results",
        _RESULTS.format(year=2016),
    ),
    IlsvrcResult(
        2017,
        2.25,
        "WMW (Squeeze-and-Excitation networks)",
        True,
        "ILSVRC 2017 results; J. Hu, L. Shen, G. Sun, Squeeze-and-excitation networks, CVPR 2018",
        _RESULTS.format(year=2017),
        "the last ILSVRC classification challenge",
    ),
)

HUMAN_TOP5 = IlsvrcResult(
    2014,
    5.1,
    "one trained human annotator (A. Karpathy), 1,500 test images",
    False,
    "O. Russakovsky et al., ImageNet Large Scale Visual Recognition Challenge, IJCV 115, 2015, section 6.4",
    "https://arxiv.org/abs/1409.0575",
    "an estimate from one person, not a population figure",
)
