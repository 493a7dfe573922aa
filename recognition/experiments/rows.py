"""Task 4's variants, read from a grid's finished study: one row per network and epoch, and the CSV
of every row."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import optuna

from recognition.experiments import sweep
from recognition.experiments.analysis import Variant
from recognition.experiments.grids import DIMS, arch_of, point_of, trainings
from recognition.io import write_text
from recognition.networks import grouped


def read_variants(study: optuna.Study, grid: dict) -> list[Variant]:
    """One row per (point, dropout, seed, epoch), from each part's first COMPLETE trial."""
    rows = []
    units = {sweep.point_key(u): u for u in trainings(grid)}
    for key, trial in sweep.completed(study, set(units)).items():
        arch = arch_of(units[key])
        for member in [grouped.MemberHistory(**m) for m in trial.user_attrs["members"]]:
            seconds = 0.0
            for epoch, (train, test, secs) in enumerate(
                zip(member.train_acc, member.test_acc, member.epoch_seconds), start=1
            ):
                seconds += secs
                rows.append(
                    Variant(
                        **point_of(units[key]),
                        dropout=member.dropout,
                        seed=member.seed,
                        epochs=epoch,
                        params=arch.parameters(),
                        multiply_adds=arch.multiply_adds(),
                        epoch_seconds=seconds / epoch,
                        train_seconds=seconds,
                        train_acc=train,
                        test_acc=test,
                        trial=trial.number,
                    )
                )
    return sorted(rows, key=lambda r: tuple(str(getattr(r, d)) for d in DIMS) + (r.epochs,))


def write_csv(rows: list[Variant], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in dataclasses.fields(Variant)])
    writer.writeheader()
    writer.writerows(dataclasses.asdict(row) for row in rows)
    return write_text(path, buffer.getvalue())
