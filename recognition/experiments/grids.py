"""Task 4's grids: named dimensions, their defaults, the checks every value passes before a study is
touched (a bad value is one line naming its flag, with an example), and how every point is trained."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from recognition import cli
from recognition.experiments import analysis
from recognition.networks import grouped

GROUP_DIMS = ("batch_size",) + analysis.ARCH_DIMS  # networks that can train as one group
MEMBER_DIMS = ("dropout", "seed")  # trained together inside it
# Measured with one thread per worker: the course network trains fastest in groups of about 384
# network-images a step (6 networks at batch 64, 3 at 128) and, at batch 256, in groups of 3 (groups
# of 2 took 8% longer there; a full report grid in 11 min 12 s instead of 11 min 5 s).
GROUP_IMAGES, SMALLEST_GROUP = 384, 3
# A grid larger than this is refused unless --large-grid says to go on (a design choice, in --help and
# docs/experiments.md): a grid of 10**6 networks spent 90 s and 785 MB enqueueing before any training.
MAX_NETWORKS, MAX_HOURS = 5_000, 24
# Multiply-adds x images a worker trains a second (forward and backward, with the epoch's scoring):
# the full report grid's 5.8e12 in 10.7 min and the broad grid's 4.4e12 in 10.9 min, two workers, on
# the 2-core development machine.
WORK_RATE = 4.5e9
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000  # in both data sets
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
# The quick grids (`make figures`) are sized so that they rank their configurations as the full grids
# do (docs/experiments.md measures it): the extremes of each dimension the full grid varies, at the
# full grid's batch size and seed where it has one, and enough images for the report grid's best
# variant to pass 97% (2,000 images, 2-3 epochs ranked the report grid's variants with rho 0.61).
QUICK = {
    "report": {
        "batch_size": [32, 256],
        "dropout": [0.0, 0.5, 0.9, 1.0],
        "seed": [42],
        "max_epochs": 3,
        "train_subset": 20000,
        "test_subset": 5000,
    },
    "broad": {
        "batch_size": [64],
        "filters1": [6, 16],
        "filters2": [12, 32],
        "hidden": [32, 128],
        "kernel": [5],
        "dropout": [0.0],
        "seed": [1, 2, 3],
        "max_epochs": 2,
        "train_subset": 4000,
        "test_subset": 2000,
    },
}


@dataclass(frozen=True)
class Recipe:
    """How every point is trained; with the grid and the dataset, the study's identity."""

    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.5


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
    return checked_values(dim, values, name, f"{name} {example}")


# Every dimension's bounds, the one rule for flags and grid files (a design choice, in --help and
# docs/experiments.md): the largest values keep one network near the course network's scale in memory
# (hidden 10**11 tried to allocate 128 TB), and a kernel above 9 leaves no pixels after two blocks.
LIMITS = {
    "batch_size": cli.Range(int, 1, 60_000),  # the training set
    "filters1": cli.Range(int, 1, 512),
    "filters2": cli.Range(int, 1, 512),
    "kernel": cli.Range(int, 1, 9),
    "hidden": cli.Range(int, 1, 4096),
    "activation": cli.OneOf(grouped.ACTIVATIONS),
    "dropout": cli.Range(float, 0, 1),
    "seed": cli.Range(int, 0, 2**32 - 1),  # NumPy's seeds
    "max_epochs": cli.Range(int, 1, 100),
}


def checked_values(dim: str, values: list, name: str, example: str) -> list:
    """The values of one dimension, sorted and unique, or a UserError naming `name` and `example`."""
    if not values:
        raise cli.UserError(f"{name} is empty; give values, e.g. {example}")
    bad = [v for v in values if not LIMITS[dim].allows(v)]
    if bad:
        raise cli.UserError(
            f"{name}: {', '.join(map(repr, bad))} not allowed ({describe(dim)}), e.g. {example}"
        )
    return sorted(set(values), key=lambda v: (str(type(v)), v))


SCALARS = ("max_epochs", "train_subset", "test_subset")
GRID_FILE_EXAMPLE = (
    '{"name": "mine", "batch_size": [32, 64], "hidden": [32, 64], "dropout": [0, 0.5], "max_epochs": 3}'
)


def read_grid_file(path: Path) -> tuple[str, dict]:
    """A grid from a small JSON file: a name, any dimensions (the others are the course network's),
    and optionally max_epochs, train_subset and test_subset; every value checked as the flags are."""
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise cli.UserError(f"--grid-file {path}: not a readable JSON file ({err}); e.g. {GRID_FILE_EXAMPLE}")
    if not isinstance(spec, dict):
        raise cli.UserError(f"--grid-file {path}: a JSON object is needed, e.g. {GRID_FILE_EXAMPLE}")
    name = spec.pop("name", None)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,30}", name) or name in GRIDS:
        raise cli.UserError(
            f'--grid-file {path}: "name" must be a short lower-case name (letters, digits, '
            f"- and _) other than {', '.join(GRIDS)}, e.g. {GRID_FILE_EXAMPLE}"
        )
    unknown = sorted(set(spec) - set(DIMS) - set(SCALARS))
    if unknown:
        raise cli.UserError(
            f"--grid-file {path}: unknown key(s) {', '.join(unknown)}; use name, "
            f"{', '.join(DIMS)}, {', '.join(SCALARS)}"
        )
    grid = {**COURSE, "max_epochs": 5, "train_subset": None, "test_subset": None}
    for key, value in spec.items():
        where = f"--grid-file {path}: {key!r}"
        if key in SCALARS:
            rule = LIMITS["max_epochs"] if key == "max_epochs" else cli.Range(int, 0)
            if not rule.allows(value):
                raise cli.UserError(f"{where}: {value!r} is not {rule.describe()} (subsets: 0 = all)")
            grid[key] = value or None
        else:
            values = value if isinstance(value, list) else [value]
            grid[key] = checked_values(key, values, where, GRID_FILE_EXAMPLE)
    return name, grid


def describe(dim: str) -> str:
    return f"{dim}: each {LIMITS[dim].describe()}"


def limits_text() -> str:
    """The bounds, for --help: 'batch_size 1-60000, ..., activation relu/tanh/gelu'."""

    def bounds(rule) -> str:
        if isinstance(rule, cli.OneOf):
            return "/".join(rule.choices)
        return f"{rule.low}-{rule.high}" if rule.kind is int else f"{rule.low:g}-{rule.high:g}"

    return ", ".join(f"{dim} {bounds(rule)}" for dim, rule in LIMITS.items())


def chosen_grids(
    names_text: str,
    quick: bool,
    lists: dict[str, str | None],
    scalars: dict[str, int | None],
    grid_file: Path | None = None,
    workers: int = 1,
    large: bool = False,
) -> dict[str, dict]:
    """Each chosen grid (or the grid file's alone) with the flags applied: every value and the
    grid's size (check_size) are checked before anything is written."""
    names = [n.strip() for n in names_text.split(",") if n.strip()]
    unknown = [n for n in names if n not in GRIDS]
    if unknown or not names:
        raise cli.UserError(
            f"--grids {names_text!r}: unknown grid(s) {unknown}; choose from {', '.join(GRIDS)}"
        )
    chosen = (
        dict([read_grid_file(grid_file)])
        if grid_file is not None
        else {name: {**GRIDS[name], **(QUICK[name] if quick else {})} for name in names}
    )
    grids = {}
    for name, grid in chosen.items():
        for flag, (dim, _, _) in LIST_FLAGS.items():
            if lists[flag] is not None:
                grid[dim] = parse_list(flag, lists[flag])
        for key in ("max_epochs", "train_subset", "test_subset"):
            if scalars[key] is not None:
                grid[key] = scalars[key] or None
        check_size(name, grid, workers, large)
        for point in group_points(grid):
            if (problem := arch_of(point).problem()) is not None:
                raise cli.UserError(f"grid {name}: {problem}")
        grids[name] = grid
    return grids


def network_count(grid: dict) -> int:
    return math.prod(len(grid[dim]) for dim in DIMS)


def estimate_s(grid: dict, workers: int) -> float:
    """Roughly how long the grid trains with `workers` workers, on a machine like the development one."""
    units = trainings(grid)
    work = sum(sum(d < 1 for d, _ in part_members(grid, u)) * arch_of(u).multiply_adds() for u in units)
    train = min(grid["train_subset"] or TRAIN_IMAGES, TRAIN_IMAGES)
    test = min(grid["test_subset"] or TEST_IMAGES, TEST_IMAGES)
    return work * (train + test / 3) * grid["max_epochs"] / WORK_RATE / min(workers, len(units))


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 2 * 3600 else f"{seconds / 3600:.1f} h"


def check_size(name: str, grid: dict, workers: int, large: bool) -> None:
    """A grid above MAX_NETWORKS networks or MAX_HOURS of training is refused unless `large`."""
    count = network_count(grid)
    if large:
        return
    if count > MAX_NETWORKS:
        raise cli.UserError(
            f"grid {name}: {count:,} networks to train, more than {MAX_NETWORKS:,}; use fewer values, "
            f"or pass --large-grid to train them all"
        )
    if (seconds := estimate_s(grid, workers)) > MAX_HOURS * 3600:
        raise cli.UserError(
            f"grid {name}: about {duration(seconds)} of training with {workers} worker(s), more than "
            f"{MAX_HOURS} h; use fewer or smaller values, more --workers, or pass --large-grid to go on"
        )


def group_points(grid: dict) -> list[dict]:
    points = [{}]
    for dim in GROUP_DIMS:
        points = [{**p, dim: v} for p in points for v in grid[dim]]
    return points


def members(grid: dict) -> list[tuple[float, int]]:
    """The (dropout, seed) variants every point trains."""
    return [(d, s) for d in grid["dropout"] for s in grid["seed"]]


def part_count(batch_size: int, count: int) -> int:
    """Into how many groups a point's `count` networks split at this batch size: groups of up to
    GROUP_IMAGES network-images a step (beyond it the activations leave this CPU's caches and
    grouping loses), of at least SMALLEST_GROUP networks."""
    return -(-count // max(SMALLEST_GROUP, GROUP_IMAGES // batch_size))


def trainings(grid: dict) -> list[dict]:
    """The study's trials: each point with the `part` of its members trained as one group, the
    costliest first so that the workers run out of work together."""
    count = len(members(grid))
    units = [
        {**point, "part": part}
        for point in group_points(grid)
        for part in range(part_count(point["batch_size"], count))
    ]

    def cost(unit: dict) -> tuple[int, int]:
        live = sum(d < 1 for d, _ in part_members(grid, unit))  # dropout 1.0 skips its convolutions
        return live * arch_of(unit).multiply_adds(), -unit["batch_size"]  # small batches: more steps

    return sorted(units, key=cost, reverse=True)


def part_members(grid: dict, unit: dict) -> list[tuple[float, int]]:
    """Every part_count-th member from the part's own: parts differ in size by one at most."""
    variants = members(grid)
    return variants[unit["part"] :: part_count(unit["batch_size"], len(variants))]


def point_of(unit: dict) -> dict:
    return {dim: unit[dim] for dim in GROUP_DIMS}


def arch_of(point: dict) -> grouped.Arch:
    return grouped.Arch(*(point[d] for d in analysis.ARCH_DIMS))
