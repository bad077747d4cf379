"""The run store's records: what a run's status.json, data.json and progress.json hold, and a
run's row in listings. They sit beside the store (not in ``pipeline/records.py``, the records
that cross every layer) because only the store and the training around it write them.

    RunStatus     status.json: state, times, attempt, pid and slot, machine, executor, Ray node
    RayTarget     status.json's "ray": the cluster a Ray run was queued for, and its resources
    NodeInfo      status.json's "node": the Ray node a run trained on
    RunEnd        how a training ended: the final state and its error (written into RunStatus)
    RunConfig     config.json: the TrainConfig a run trained with, as stored
    RunData       data.json: the source, its stat fingerprint and content identity, model code
    StepPosition  progress.json's "position": where a running training is
    Progress      progress.json: the step and epoch events, as the engines reported them
    RunSummary    one run's row for listings (``Run.summary()``, ``python -m pipeline.runs list``)

These files grow fields over time (a run queued for Ray records ``ray``, a Ray run its ``node``):
``from_dict`` reads any older file (a missing key reads as None) and keeps unknown keys in
``extra``; ``to_dict`` writes the keys that were there, in the sorted order the files hold them,
so a file read and written again is byte-identical. A known key whose value is null in a file
is left out when it is written again (it reads as None either way).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from pipeline.records import ValMetrics, _from, _to

ACTIVE = ("queued", "running")
UNREADABLE = ("missing", "damaged")  # the states of a run without a readable status.json


def _sparse(record) -> dict:
    """``record`` as its file holds it: keys sorted, known fields that are None left out."""
    known = {f.name for f in fields(record)} - {"extra"}
    values = _to(record)
    return {k: values[k] for k in sorted(values) if not (k in known and values[k] is None)}


@dataclass(frozen=True)
class NodeInfo:
    """The Ray node a run trained on, as its status records it."""

    id: str
    ip: str
    hostname: str

    def describe(self) -> str:
        return f"Ray node {self.id[:12]} ({self.hostname}, {self.ip})"

    def to_dict(self) -> dict:
        return {"hostname": self.hostname, "id": self.id, "ip": self.ip}

    @classmethod
    def from_dict(cls, data: dict | None) -> NodeInfo | None:
        """None for no node (or a value that is not a node's record)."""
        if not data or not isinstance(data, dict):
            return None
        return cls(**{k: str(data.get(k, "?")) for k in ("id", "ip", "hostname")})


@dataclass(frozen=True)
class RayTarget:
    """Where a run queued for the ray executor is to train: the cluster's address ("" for a
    local Ray instance), the custom resources each task asks for, and whether it trains on a
    temporary store on the node and comes back as its export bundle."""

    address: str = ""
    resources: dict[str, float] = field(default_factory=dict)
    bundle: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> RayTarget | None:
        return None if data is None else _from(cls, data)

    def to_dict(self) -> dict:
        return _sparse(self)


@dataclass(frozen=True)
class RunEnd:
    """How a training ended: "finished", "failed" or "cancelled", and why when it failed."""

    state: str
    error: str | None = None


@dataclass(frozen=True)
class RunStatus:
    """status.json. ``status`` is one of ``STATES``, or "missing" (no such run) or "damaged" (a
    status file the disk garbled). Times are seconds since the epoch. A local run records its
    worker's ``pid`` and training ``slot``; a Ray run its ``ray`` target, then the ``node`` it
    trained on, its driver's pid and how the run came back (``delivery``)."""

    run_id: str
    status: str
    framework: str | None = None
    source: str | None = None
    attempt: int | None = None  # 1 for a run's first training, + 1 each time it is queued again
    created: float | None = None
    queued: float | None = None
    started: float | None = None
    ended: float | None = None
    updated: float | None = None
    pid: int | None = None
    slot: int | None = None
    machine: str | None = None  # pipeline.machine.machine_id() of the machine that trained it
    machine_name: str | None = None  # its CPU, for people
    executor: str | None = None  # "local" or "ray"; None: queued before executors existed
    ray: RayTarget | None = None
    node: NodeInfo | None = None
    driver_pid: int | None = None
    delivery: str | None = None  # "shared store" or "bundle"
    cancel_requested: bool | None = None
    device: str | None = None  # recorded by runs trained before result.json held the device
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> RunStatus:
        return _from(cls, data, ray=RayTarget.from_dict, node=NodeInfo.from_dict)

    def to_dict(self) -> dict:
        if self.status in UNREADABLE:  # made up by the store, not read: in the order it is made
            return {"run_id": self.run_id, "status": self.status} | _sparse(self)
        return _sparse(self)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def executor_name(self) -> str:
        """The executor it was queued for (runs queued before executors existed: local)."""
        return self.executor or "local"

    @property
    def ray_address(self) -> str:
        return self.ray.address if self.ray is not None else ""


@dataclass(frozen=True)
class RunConfig:
    """config.json: the ``TrainConfig`` a run trained with, as stored (``TrainConfig.to_json``).

    Not the TrainConfig itself: the store sits below ``pipeline.training`` (and inference and
    evaluation must not import training), and a config written by another version of the code
    may not validate here, yet its run must still list. The settings that the store and its
    readers use are typed fields (None where an older config lacks them); every other setting is
    in ``extra``. ``to_dict()`` is config.json's object, whole, for hashes, diffs and
    ``TrainConfig.from_dict`` in the training layer."""

    framework: str | None = None
    source: str | None = None
    img_size: int | None = None
    width: float | None = None  # None: an old config, trained at width 1.0
    epochs: int | None = None
    seed: int | None = None
    device: str | None = None
    replicas: int | None = None
    class_balancing: str | None = None
    augment: dict[str, Any] | None = None  # AugmentSpec.to_dict()
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> RunConfig:
        return _from(cls, data if isinstance(data, dict) else None)

    def to_dict(self) -> dict:
        return _sparse(self)

    @property
    def model_width(self) -> float:
        return 1.0 if self.width is None else self.width


@dataclass(frozen=True)
class RunData:
    """data.json: what a run trained on. ``source`` as given and its stat ``fingerprint`` (file
    names, sizes, times); its content ``identity`` (``pipeline.data.identity``) with the dataset's
    name, label space and training images, None for a run trained before identities whose
    source could not be read since (``pipeline.training.migrate``)."""

    source: str | None = None
    kind: str | None = None
    fingerprint: str | None = None
    images: int | None = None
    model_code_version: str | None = None
    identity: str | None = None
    identity_version: str | None = None
    dataset: str | None = None
    label_space: str | None = None
    training_images: int | None = None
    migrated_from: str | None = None  # the run's id before ``migrate`` moved it
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> RunData:
        return _from(cls, data)

    def to_dict(self) -> dict:
        return _sparse(self)

    def identified(self, identity, migrated_from: str | None = None) -> RunData:
        """This record with the content identity of its training images (a
        ``pipeline.data.identity.DatasetIdentity``)."""
        return RunData.from_dict(
            {
                **self.to_dict(),
                "identity": identity.fingerprint,
                "identity_version": identity.version,
                "dataset": identity.name,
                "label_space": identity.label_space,
                "training_images": identity.images,
                **({"migrated_from": migrated_from} if migrated_from else {}),
            }
        )

    @property
    def key(self) -> str:
        """What "the same data" means: the identity, else (an old run) the source string and the
        stat fingerprint it was trained on."""
        return self.identity or f"{self.source}|{self.fingerprint}"


@dataclass(frozen=True)
class StepPosition:
    """Where a running training is: step ``step`` of ``steps`` in epoch ``epoch`` of ``epochs``
    (1-based epochs), reported at ``time``."""

    epoch: int
    epochs: int
    step: int
    steps: int
    time: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> StepPosition | None:
        return None if data is None else _from(cls, data)

    def to_dict(self) -> dict:
        return _sparse(self)


@dataclass(frozen=True)
class Progress:
    """progress.json, rewritten while a run trains. ``steps`` and ``epochs`` are the engines'
    events as reported (``pipeline.training.engines.common``: an epoch row holds
    ``EpochRecord``'s fields and the ``time`` it came), ``position`` the last step's; ``notes``
    any other event. ``position`` is None while the framework and the data load."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    position: StepPosition | None = None
    started: float | None = None
    updated: float | None = None
    notes: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> Progress:
        return _from(cls, data, position=StepPosition.from_dict)

    def __post_init__(self):  # a file written half-way through an older version
        for name in ("steps", "epochs"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, [])

    def to_dict(self) -> dict:
        if self == Progress():  # no progress.json yet: as the store has always shown it
            return {"steps": [], "epochs": []}
        return _sparse(self)


@dataclass(frozen=True)
class RunSummary:
    """One run's row in listings: its state, framework, source, key settings and validation
    metrics (``val``: None before it finished). ``to_dict`` is the row
    ``python -m pipeline.runs list --json`` prints, in this order (``val`` ``{}`` when None)."""

    run_id: str
    status: str
    framework: str | None
    source: str | None
    epochs: int | None
    img_size: int | None
    seed: int | None
    created: float | None
    ended: float | None
    device: str | None
    val: ValMetrics | None
    error: str | None
    executor: str
    node: NodeInfo | None
    origin: str  # "trained", "imported" or "shipped"
    dataset: str
    identity: str | None

    def to_dict(self) -> dict:
        return _to(self) | {"val": self.val.to_dict() if self.val is not None else {}}


__all__ = [
    "NodeInfo",
    "Progress",
    "RayTarget",
    "RunConfig",
    "RunData",
    "RunEnd",
    "RunStatus",
    "RunSummary",
    "StepPosition",
]
