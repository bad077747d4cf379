"""Run stores written before content identities keep working: each old run gets its new id.

Until identities (``pipeline.data.identity``), a run id hashed the config *with* its source
path and the source's stat fingerprint (file names, sizes and times). Today it hashes the
settings without the path and the training images' content identity, so an old run would never
be found again by ``trigger`` and the same training would run twice.

``migrate_store()`` (called before the shipped runs are installed: at the app's start and by
``python -m pipeline.runs list``) takes each finished, failed or cancelled run that records no
identity and, when its source still reads with the very fingerprint it was trained on (the same
files, untouched), records the identity in its data.json and moves its folder to the id the
same training gets today. A run whose source is gone or has changed since cannot be proven to
match any content: it stays as it is, listed and usable, matched by its source string as before.
A run whose new id is already taken (the same training, done again) keeps its old folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pipeline.data import SourceError, open_source
from pipeline.data.identity import identity_of
from pipeline.runs import (
    ACTIVE,
    Run,
    RunData,
    all_runs,
    make_run_id,
    read_json,
    store_lock,
    write_json,
)
from pipeline.training.config import ConfigError, TrainConfig


@dataclass(frozen=True)
class Migrated:
    old_id: str
    new_id: str
    moved: bool  # False: the identity was recorded but the new id was taken (or equal)


def migrate_store() -> list[Migrated]:
    """Record identities for old runs and move them to today's ids; returns what changed."""
    done, sources = [], {}
    for run in all_runs():
        data = run.data()
        if data.identity or run.state in ACTIVE or run.state in ("missing", "damaged"):
            continue
        new = _identity_and_id(run, data, sources)
        if new is not None:
            done.append(_move(run, data, *new))
    return done


def _identity_and_id(run: Run, data: RunData, sources: dict):
    """(identity, new run id) when the run's source still holds exactly what it trained on."""
    spec = data.source or run.config().source
    if spec not in sources:
        sources[spec] = _current(spec)
    current = sources[spec]
    if current is None or current[0] != data.fingerprint:
        return None  # gone or changed since: its content cannot be proven
    try:
        config = TrainConfig.from_dict(run.config().to_dict())
    except ConfigError:
        return None  # a config from a version this code cannot read: leave it alone
    identity = current[1]
    return identity, make_run_id(
        config.settings_hash(), identity.fingerprint, str(data.model_code_version)
    )


def _current(spec):
    """(stat fingerprint, identity) of a source as it is now; None when it cannot be read."""
    try:
        source = open_source(spec)
        return source.fingerprint(), identity_of(source)
    except (SourceError, OSError, ValueError):
        return None


def _move(run: Run, data: RunData, identity, new_id: str) -> Migrated:
    with store_lock():
        target = Run(new_id)
        moved = new_id != run.id and not target.path.exists() and run.state not in ACTIVE
        recorded = data.identified(identity, migrated_from=run.id if moved else None)
        write_json(run.path / "data.json", recorded.to_dict())
        if moved:
            os.rename(run.path, target.path)  # one rename: never a half-moved run
            status = read_json(target.path / "status.json") or {}
            write_json(target.path / "status.json", {**status, "run_id": new_id})
    return Migrated(run.id, new_id, moved)
