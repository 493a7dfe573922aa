"""Task 4's grids: named dimensions, their defaults, and the checks every value passes before a
study is touched (a bad value is one line naming its flag, with an example)."""

from __future__ import annotations

import math

import cli
import grouped
import task4_analysis as analysis

GROUP_DIMS = ("batch_size",) + analysis.ARCH_DIMS  # one grouped training per combination
MEMBER_DIMS = ("dropout", "seed")  # trained together inside it
DIMS = GROUP_DIMS + MEMBER_DIMS
COURSE = {
    "batch_size": [64],
    "filters1": [10],
    "filters2": [20],
    "kernel": [5],
    "hidden": [50],
    "activation": ["relu"],
    "dropout": [0.5],
    "seed": [42],
}
GRIDS = {
    "report": {
        **COURSE,
        "batch_size": [16, 32, 64, 128, 256],
        "dropout": [0.0, 0.25, 0.5, 0.75, 0.9, 1.0],
        "max_epochs": 8,
        "train_subset": None,
        "test_subset": None,
    },
    "broad": {
        **COURSE,
        "filters1": [6, 10, 16],
        "filters2": [12, 20, 32],
        "kernel": [3, 5],
        "hidden": [32, 64, 128],
        "dropout": [0.0, 0.5],
        "seed": [1, 2, 3],
        "max_epochs": 3,
        "train_subset": 10000,
        "test_subset": None,
    },
}
QUICK = {
    "report": {
        "batch_size": [32, 128],
        "dropout": [0.0, 0.5, 1.0],
        "seed": [1, 2, 3],
        "max_epochs": 3,
        "train_subset": 2000,
        "test_subset": 1000,
    },
    "broad": {
        "batch_size": [32],
        "filters1": [6, 16],
        "filters2": [12, 32],
        "hidden": [32, 128],
        "kernel": [3, 5],
        "dropout": [0.5],
        "seed": [1, 2, 3],
        "max_epochs": 2,
        "train_subset": 2000,
        "test_subset": 1000,
    },
}
# flag -> (grid dimension, parser, example); every list flag names itself and an example in its error
LIST_FLAGS = {
    "batch_sizes": ("batch_size", int, "16,32,64"),
    "dropouts": ("dropout", float, "0,0.5,0.9"),
    "filters1": ("filters1", int, "6,10,16"),
    "filters2": ("filters2", int, "12,20,32"),
    "kernels": ("kernel", int, "3,5"),
    "hidden": ("hidden", int, "32,64,128"),
    "activations": ("activation", str, "relu,tanh"),
    "seeds": ("seed", int, "1,2,3"),
}


def parse_list(flag: str, text: str) -> list:
    dim, kind, example = LIST_FLAGS[flag]
    name = "--" + flag.replace("_", "-")
    try:
        values = [kind(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise cli.UserError(
            f"{name} {text!r}: not a comma-separated list of {kind.__name__}s, e.g. {name} {example}"
        )
    if not values:
        raise cli.UserError(f"{name} is empty; give values, e.g. {name} {example}")
    def allowed(v) -> bool:
        if kind is float and not math.isfinite(v):
            return False
        if dim == "dropout":
            return 0 <= v <= 1
        if dim == "activation":
            return v in grouped.ACTIVATIONS
        return v >= (0 if dim == "seed" else 1)

    bad = [v for v in values if not allowed(v)]
    if bad:
        raise cli.UserError(
            f"{name}: {', '.join(map(str, bad))} not allowed ({describe(dim)}), e.g. {name} {example}"
        )
    return sorted(set(values), key=lambda v: (str(type(v)), v))


def describe(dim: str) -> str:
    return {
        "dropout": "rates are finite numbers in [0, 1]",
        "seed": "seeds are integers >= 0",
        "activation": f"one of {', '.join(grouped.ACTIVATIONS)}",
    }.get(dim, "sizes are integers >= 1")


def chosen_grids(
    names_text: str, quick: bool, lists: dict[str, str | None], scalars: dict[str, int | None]
) -> dict[str, dict]:
    """Each chosen grid with the flags applied: every value is checked before anything is written."""
    names = [n.strip() for n in names_text.split(",") if n.strip()]
    unknown = [n for n in names if n not in GRIDS]
    if unknown or not names:
        raise cli.UserError(
            f"--grids {names_text!r}: unknown grid(s) {unknown}; choose from {', '.join(GRIDS)}"
        )
    grids = {}
    for name in names:
        grid = {**GRIDS[name], **(QUICK[name] if quick else {})}
        for flag, (dim, _, _) in LIST_FLAGS.items():
            if lists[flag] is not None:
                grid[dim] = parse_list(flag, lists[flag])
        for key in ("max_epochs", "train_subset", "test_subset"):
            if scalars[key] is not None:
                grid[key] = scalars[key] or None
        for point in group_points(grid):
            if (problem := arch_of(point).problem()) is not None:
                raise cli.UserError(f"grid {name}: {problem}")
        grids[name] = grid
    return grids


def group_points(grid: dict) -> list[dict]:
    points = [{}]
    for dim in GROUP_DIMS:
        points = [{**p, dim: v} for p in points for v in grid[dim]]
    return points


def arch_of(point: dict) -> grouped.Arch:
    return grouped.Arch(*(point[d] for d in analysis.ARCH_DIMS))
