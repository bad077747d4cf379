"""Where a figure comes from: which data a run trained on, which split scores it, which machine.

    basis = provenance(run_id, source, "test")
    basis.label            # "trained on chest_xray · scored on medmnist:/x.npz's test split"
    basis.trained_where    # "CPU: AMD EPYC 9R14 (2 cores), this machine"

Every results page shows this line next to its figures, so a run scored on another source's
test split, or on a split carved out of the training folder (which flatters), says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.machine import machine_id
from pipeline.runs import Run, source_identity, trained_on


@dataclass(frozen=True)
class Provenance:
    label: str  # "trained on X · scored on Y's test split"
    trained_where: str  # the device and whether it is this machine
    cross_source: bool  # scored on images other than the training source's own split
    carved: bool  # the scored split was carved out of the source's training folder
    same_machine: bool  # trained on the machine that shows it: its speeds can be compared here


def provenance(run_id: str, source: str, split: str) -> Provenance:
    run = Run(run_id)
    identity = source_identity(source)
    cross = not trained_on(run, source)
    scored = _scored_name(source, identity)
    if cross and scored == run.dataset_name():  # two datasets, one folder name: say which
        scored = f"{scored} (another dataset of that name, at {source})"
    label = f"trained on {run.dataset_name()} · scored on {scored}'s {split} split"
    if not cross:
        label = f"trained and scored on {scored} ({split} split)"
    carved = identity is not None and split in (identity.carved or ())
    same = same_machine(run)
    return Provenance(label, trained_where(run, same), cross, carved, same)


def _scored_name(source: str, identity) -> str:
    return identity.name if identity is not None else source


def same_machine(run: Run) -> bool:
    """Whether ``run`` trained on this machine (as its status records it)."""
    return run.status().machine == machine_id()


def trained_where(run: Run, same: bool | None = None) -> str:
    """The device that trained ``run``, and whether that was this machine."""
    result = run.result()
    device = result.device if result else None
    kind = (device.type or "cpu").upper() if device else "?"
    status = run.status()
    name = (device.name if device else None) or status.machine_name or "?"
    if status.machine is None:
        where = "machine not recorded"
    else:
        where = (
            "this machine" if (same_machine(run) if same is None else same) else "another machine"
        )
    return f"{kind}: {name}, {where}"
