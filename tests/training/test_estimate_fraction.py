"""The share of a training done, from its progress.json (pipeline/training/estimate.py): one
formula for the Training page and the Conclusion's pair of runs."""

import pytest

from pipeline.runs import Progress
from pipeline.training.estimate import fraction_and_eta, fraction_done


def position(epoch: int, step: int, epochs: int = 4, steps: int = 10, times=()) -> Progress:
    at = {"epoch": epoch, "epochs": epochs, "step": step, "steps": steps}
    return Progress.from_dict({"position": at, "steps": [{"time": t} for t in times]})


def test_fraction_counts_the_steps_of_every_epoch():
    assert fraction_done(Progress()) == 0.0  # the framework and the data still loading
    assert fraction_done(Progress.from_dict({"position": None})) == 0.0
    assert fraction_done(position(1, 5)) == pytest.approx(5 / 40)
    assert fraction_done(position(4, 10)) == 1.0
    assert fraction_done(position(5, 1)) == 1.0  # never past the end


def test_the_eta_reads_the_same_fraction():
    progress = position(3, 0, times=[100.0])
    done, eta = fraction_and_eta(progress, now=120.0)
    assert done == fraction_done(progress) == pytest.approx(0.5)
    assert eta == pytest.approx(20.0)
