"""Where a search lives: its settings, its Optuna study (SQLite in the cache), its lock.

    <cache>/tune/<name>.db      the Optuna storage (``optuna.storages.RDBStorage``, SQLite)
    <cache>/tune/<name>.json    the search's settings (source, frameworks, preset, seeds, ...)
    <cache>/tune/<name>.lock    ``flock``-ed by the search process while it runs; holds its pid
    <cache>/tune/<name>.log     what the detached search process printed

The name is derived from what decides the objective: the training images' content identity
(``pipeline.data.identity``), the frameworks, the preset, the seeds and any settings replaced.
The same search asked again (after an interruption, from the CLI or the app) opens the same
study and continues it; the lock is how ``running`` is told from a search that died, as the
queue's training slots do for workers (the kernel drops the lock with the process).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.settings import atomic_write_bytes, cache_root, claim_lock

DIRECTION = "maximize"  # the shift-stress mean AUC


class SearchError(ValueError):
    """A search that cannot be started or read; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class SearchSettings:
    """What a search trains and scores: everything its objective depends on."""

    source: str  # canonical (pipeline.data.canonical_source)
    frameworks: tuple[str, ...]
    preset: str
    seeds: tuple[int, ...]
    identity: str  # the training images' content identity
    overrides: dict = field(default_factory=dict)  # TrainConfig settings replaced (e.g. tiny runs)
    created: float = 0.0

    @property
    def name(self) -> str:
        overrides = json.dumps(self.overrides, sort_keys=True)
        key = "" if not self.overrides else "-" + hashlib.sha256(overrides.encode()).hexdigest()[:8]
        seeds = ".".join(str(seed) for seed in self.seeds)
        frameworks = "+".join(self.frameworks)
        return f"augment-{self.identity[:16]}-{frameworks}-{self.preset}-s{seeds}{key}"

    def config(self, framework: str, seed: int, augment):
        """The run one unit of a trial trains: the preset, this spec, this framework and seed."""
        from pipeline.training.config import TrainConfig

        return TrainConfig.from_preset(
            self.preset,
            framework=framework,
            source=self.source,
            seed=seed,
            **self.overrides,
            augment=augment,
        ).validate()

    def preset_augment(self):
        """The preset's own spec (the first framework's): a new study's first trial."""
        from pipeline.training.config import TrainConfig

        return TrainConfig.from_preset(self.preset, framework=self.frameworks[0]).augment

    def units(self) -> list[tuple[str, int]]:
        """(framework, seed) in the order a trial trains them: the pruner's steps."""
        return [(framework, seed) for framework in self.frameworks for seed in self.seeds]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SearchSettings:
        values = json.loads(text)
        return cls(
            **{**values, "frameworks": tuple(values["frameworks"]), "seeds": tuple(values["seeds"])}
        )


def search_settings(
    source: str,
    frameworks: tuple[str, ...],
    preset: str,
    seeds: tuple[int, ...],
    overrides: dict | None = None,
) -> SearchSettings:
    """Checked settings (``SearchError`` saying what is wrong), with the data's identity."""
    from pipeline.data import SourceError, canonical_source
    from pipeline.data.identity import dataset_identity
    from pipeline.training.config import PRESETS, ConfigError

    _check_lists(frameworks, seeds)
    if preset not in PRESETS:
        raise SearchError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if "augment" in (overrides or {}) or "seed" in (overrides or {}):
        raise SearchError("the search draws the augmentation and sets the seeds: replace neither")
    try:
        identity = dataset_identity(canonical_source(source)).fingerprint
        settings = SearchSettings(
            canonical_source(source),
            tuple(frameworks),
            preset,
            tuple(seeds),
            identity,
            dict(overrides or {}),
        )
        settings.config(frameworks[0], seeds[0], "none")
    except (SourceError, ConfigError) as error:
        raise SearchError(str(error)) from None
    return settings


def _check_lists(frameworks: tuple[str, ...], seeds: tuple[int, ...]) -> None:
    from pipeline.frameworks import FRAMEWORKS

    unknown = [f for f in frameworks if f not in FRAMEWORKS]
    if not frameworks or unknown or len(set(frameworks)) != len(frameworks):
        raise SearchError(
            f"frameworks {list(frameworks)}: give one or both of {', '.join(FRAMEWORKS)}, once each"
        )
    if (
        not seeds
        or len(set(seeds)) != len(seeds)
        or any(not isinstance(s, int) or s < 0 for s in seeds)
    ):
        raise SearchError(f"seeds {list(seeds)}: give distinct whole numbers >= 0, e.g. 0,1,2")


# ---- the files of a search ----


def tune_dir() -> Path:
    folder = cache_root() / "tune"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_settings(settings: SearchSettings) -> SearchSettings:
    """Write the settings file once (the first start's time stays ``created``)."""
    path = tune_dir() / f"{settings.name}.json"
    if path.exists():
        return read_settings(settings.name)
    settings = SearchSettings(**{**asdict(settings), "created": time.time()})
    atomic_write_bytes(path, settings.to_json().encode())
    return settings


def read_settings(name: str) -> SearchSettings:
    """The settings of search ``name``; ``SearchError`` for a name that is no search here (the
    name becomes file names under the cache: one that is not a plain name is refused)."""
    if not isinstance(name, str) or not name or Path(name).name != name or name[0] == ".":
        raise SearchError(f"{name!r} is not a search name; list them with list_searches()")
    path = tune_dir() / f"{name}.json"
    try:
        return SearchSettings.from_json(path.read_text())
    except FileNotFoundError:
        raise SearchError(
            f"no search named {name!r} in {tune_dir()}; list them with list_searches()"
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise SearchError(
            f"the settings of search {name!r} ({path}) cannot be read ({error}); delete its "
            f"files in {tune_dir()} and start it again"
        ) from None


def all_settings() -> list[SearchSettings]:
    """Every readable search in the cache, newest first."""
    found = []
    for path in tune_dir().glob("*.json"):
        with contextlib.suppress(SearchError):  # left out; read_settings says what is wrong
            found.append(read_settings(path.stem))
    return sorted(found, key=lambda settings: settings.created, reverse=True)


def open_study(name: str, create: bool = False):
    """The Optuna study ``name`` in its SQLite storage (created when ``create``)."""
    import optuna
    from optuna.storages import RDBStorage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{tune_dir() / f'{name}.db'}"
    # a page reads while the search writes: wait for SQLite's lock instead of failing at once
    storage = RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 30}})
    if not create:
        return optuna.load_study(study_name=name, storage=storage)
    return optuna.create_study(
        study_name=name, storage=storage, direction=DIRECTION, load_if_exists=True
    )


# ---- the lock: held by the search process for as long as it runs ----


def lock_path(name: str) -> Path:
    return tune_dir() / f"{name}.lock"


def take_lock(name: str):
    """The open, ``flock``-ed lock file of ``name`` (the caller keeps it), or None if held."""
    return claim_lock(lock_path(name))


def write_pid(handle, pid: int) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(str(pid))
    handle.flush()


def holder(name: str) -> int | None:
    """The pid of the process running search ``name``, or None when none runs it."""
    handle = take_lock(name)
    if handle is not None:
        handle.close()
        return None
    with contextlib.suppress(OSError, ValueError):
        return int(lock_path(name).read_text().strip())
    return 0  # held, by a process that has not written its pid yet
