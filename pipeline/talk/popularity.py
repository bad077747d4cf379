"""Framework popularity, only as published: each figure with who counted what, when and how.

Two counts stand in for the talk's popularity slides:

- ``ARXIV_2017``: the share of machine-learning arXiv papers submitted in March 2017 that mention
  each framework anywhere in their full text, from Andrej Karpathy's arxiv-sanity database of
  28,303 papers (cs.AI, cs.LG, cs.CV, cs.CL, cs.NE, stat.ML): the era when TensorFlow and Caffe
  led and PyTorch was one month old.
- ``CONFERENCES_2019``: PyTorch's share of the papers that mention PyTorch or TensorFlow at the
  large 2019 conferences, from Horace He's scrape for The Gradient (papers by Google- or
  Facebook-affiliated authors and papers mentioning both left out). The article gives CVPR's
  share exactly and the others as lower bounds; they are kept as such (``at_least``).

The talk shows a chart of arXiv mentions for October 2017. No published count for that month
could be found to check it against (``OCTOBER_2017``), so the app keeps Karpathy's March 2017
counts, the nearest month with published numbers, and says so on the page. The talk's
"breakthrough of deep-learning frameworks" figure is sourced: it is DLBench's
(``pipeline.talk.dlbench``), redrawn on a slide of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

KARPATHY_2017 = "https://karpathy.medium.com/a-peek-at-trends-in-machine-learning-ab8a1085a106"
HE_2019 = (
    "https://thegradient.pub/state-of-ml-frameworks-2019-pytorch-dominates-research-"
    "tensorflow-dominates-industry/"
)
OCTOBER_2017 = (
    "The talk's chart counts arXiv mentions in October 2017. No published count for that month was "
    "found to check it against, so the left chart keeps Karpathy's counts for March 2017, the "
    "nearest month whose numbers are published (seven months earlier: PyTorch was one month old)."
)


@dataclass(frozen=True)
class Share:
    name: str
    percent: float
    at_least: bool = False  # the source gives a lower bound ("75+%")


ARXIV_2017: tuple[Share, ...] = (
    Share("TensorFlow", 9.1),
    Share("Caffe", 7.1),
    Share("Theano", 4.6),
    Share("Torch", 3.3),
    Share("Keras", 2.5),
    Share("MatConvNet", 1.7),
    Share("Lasagne", 1.2),
    Share("Chainer", 0.5),
    Share("MXNet", 0.3),
    Share("CNTK", 0.3),
    Share("PyTorch", 0.2),
    Share("Deeplearning4j", 0.1),
)
ARXIV_2017_BASIS = (
    "% of arXiv papers submitted in March 2017 (cs.AI, cs.LG, cs.CV, cs.CL, cs.NE, stat.ML) that "
    "mention the framework anywhere in the full text. A. Karpathy, A Peek at Trends in Machine "
    "Learning, 7 April 2017."
)

CONFERENCES_2019: tuple[Share, ...] = (
    Share("CVPR 2019", 69.0),
    Share("NAACL 2019", 75.0, at_least=True),
    Share("ACL 2019", 75.0, at_least=True),
    Share("ICLR 2019", 50.0, at_least=True),
    Share("ICML 2019", 50.0, at_least=True),
)
CONFERENCES_2019_BASIS = (
    "PyTorch papers / (PyTorch or TensorFlow papers), authors affiliated with Google or Facebook "
    "excluded. H. He, The State of Machine Learning Frameworks in 2019, The Gradient, October "
    "2019. 'At least' where the article writes 75+% or 50+%."
)


def leader(shares: tuple[Share, ...]) -> Share:
    return max(shares, key=lambda share: share.percent)
