"""Task 4 without training: the grids, how they split into grouped trainings, the study's identity,
the observations and Pareto front on made-up rows, and the section with Fashion-MNIST's results."""

import json
import math

import pytest

import task4_experiments as task4
from recognition.experiments import agreement, analysis, grids, observations, section, sweep
from recognition.report.markdown import Outputs
from recognition.report.results import example, save_results


def test_report_grid_trains_in_cache_sized_groups_costliest_first():
    grid = grids.GRIDS["report"]
    units = grids.trainings(grid)
    parts: dict[int, list] = {}
    for unit in units:
        parts.setdefault(unit["batch_size"], []).append(grids.part_members(grid, unit))
    assert {batch: [len(p) for p in found] for batch, found in parts.items()} == {
        16: [6],
        32: [6],
        64: [6],
        128: [3, 3],
        256: [3, 3],
    }
    for found in parts.values():  # every network of every point trained exactly once
        assert sorted(m for part in found for m in part) == sorted(grids.members(grid))
    # five live networks before three before two (dropout 1.0 skips its convolutions); small batches first
    assert [(u["batch_size"], u["part"]) for u in units] == [
        (16, 0),
        (32, 0),
        (64, 0),
        (128, 0),
        (256, 0),
        (128, 1),
        (256, 1),
    ]
    seven = {**grid, "dropout": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}  # parts differ by one network at most
    at_256 = [u for u in grids.trainings(seven) if u["batch_size"] == 256]
    assert [len(grids.part_members(seven, u)) for u in at_256] == [3, 2, 2]


def test_observations_use_the_intervals():
    grid = {
        **grids.GRIDS["report"],
        "batch_size": [32, 128],
        "dropout": [0.0, 0.5, 1.0],
        "seed": [1, 2, 3],
        "max_epochs": 2,
    }
    base = {
        "filters1": 10,
        "filters2": 20,
        "kernel": 5,
        "hidden": 50,
        "activation": "relu",
        "params": 1,
        "multiply_adds": 1,
        "epoch_seconds": 1.0,
        "train_seconds": 2.0,
        "trial": 0,
    }
    rows = []
    for b in (32, 128):
        for d, acc in ((0.0, 0.980), (0.5, 0.981), (1.0, 0.10)):
            for s, noise in ((1, -0.002), (2, 0.0), (3, 0.002)):
                for e in (1, 2):
                    rows.append(
                        analysis.Variant(
                            **base,
                            batch_size=b,
                            dropout=d,
                            seed=s,
                            epochs=e,
                            test_acc=acc + noise - (0.02 if e == 1 else 0) - (0.01 if b == 128 else 0),
                            train_acc=acc,
                        )
                    )
    found = observations.observations("report", analysis.Summary(rows, grid)).report
    # dropout 0.5 beats none by 0.1 pts, inside the noise of three seeds; 1.0 is at chance: held
    assert [c.verdict for c in found.dropout.claims] == ["inside the noise", "held"]
    assert found.dropout.verdict == "inside the noise"
    # batch 32 is a point above 128 after each epoch, outside the noise
    assert [c.verdict for c in found.batch_size.claims] == [
        "held",
        "held",
    ] and found.batch_size.verdict == "held"
    assert "**held**" in found.batch_size.text and "98.10 ± 0.50%" in found.dropout.text
    mean, half = analysis.mean_ci([97.8, 98.0, 98.2])
    assert mean == pytest.approx(98.0) and half == pytest.approx(4.303 * 0.2 / math.sqrt(3), rel=1e-3)
    assert math.isnan(analysis.mean_ci([98.0])[1])
    # one seed: the test set's binomial interval, from the grid's number of test images
    one = analysis.Summary([r for r in rows if r.seed == 2], {**grid, "seed": [2]}, test_images=1000)
    mean, half = one.get(one.config(batch_size=32, dropout=0.5))
    assert mean == pytest.approx(98.1) and half == pytest.approx(100 * 1.96 * math.sqrt(0.981 * 0.019 / 1000))
    assert "binomial" in one.interval
    # two batch sizes cannot show diminishing returns: said, and not counted
    time = observations.observations("report", one).report.time
    assert time.claims[1].verdict is None and time.verdict in ("held", "not held", "inside the noise")
    # the machine's load decides the time verdict, so the counts leave it out (two runs count alike)
    found = observations.observations("report", one)
    assert sum(found.tally().values()) == len(found.by_topic()) - 1


def test_verdicts_of_one_claim():
    assert observations.beats((99.0, 0.1), (98.0, 0.1)) == "held"
    assert observations.beats((98.0, 0.1), (99.0, 0.1)) == "not held"
    assert observations.beats((98.0, 0.6), (98.5, 0.1)) == "inside the noise"
    assert observations.alike((98.0, 0.6), (98.5, 0.1)) == "held"
    assert observations.alike((98.0, 0.1), (98.5, 0.1)) == "not held"
    claims = [observations.Claim("a", "held", ""), observations.Claim("b", None, "cannot")]
    assert observations.combined(claims) == "held"
    assert observations.combined(claims + [observations.Claim("c", "not held", "")]) == "not held"


def test_the_quick_grids_agreement_with_the_full_ones():
    quick, full = example(section.GridResults), example(section.GridResults)
    means = [(0.0, 32, 98.0), (0.5, 32, 98.5), (1.0, 32, 10.0), (0.0, 128, 97.0)]
    full_means = [(0.0, 32, 99.1), (0.5, 32, 99.2), (1.0, 32, 11.0), (0.0, 128, 98.9), (0.9, 32, 98.0)]

    def finals(found):
        base = dict(zip(analysis.CONFIG_DIMS, (64, 10, 20, 5, 50, "relu", 0.5)))
        return [agreement.FinalMean({**base, "dropout": d, "batch_size": b}, acc, 0.1) for d, b, acc in found]

    quick.final, full.final = finals(means), finals(full_means)
    found = agreement.agreement("report", quick, full)
    assert found.matched == 4 and found.spearman == pytest.approx(1.0)
    full.final = finals([(0.0, 32, 99.2), (0.5, 32, 99.1), (1.0, 32, 11.0), (0.0, 128, 98.9)])
    assert agreement.agreement("report", quick, full).spearman == pytest.approx(0.8)
    assert "rank correlation of the 4 configurations" in found.line()


def test_pareto_front():
    points = [(1, 90.0), (2, 89.0), (3, 95.0), (3, 94.0), (10, 95.0), (20, 97.0)]
    assert analysis.pareto_front(points) == [0, 2, 5]


def test_default_grids():
    full = grids.chosen_grids(
        "report,broad",
        False,
        dict.fromkeys(grids.LIST_FLAGS),
        dict.fromkeys(("max_epochs", "train_subset", "test_subset")),
    )
    report, broad = full["report"], full["broad"]
    assert (
        report["batch_size"] == [16, 32, 64, 128, 256]
        and report["max_epochs"] == 8
        and 1.0 in report["dropout"]
    )
    variants = math.prod(len(broad[d]) for d in ("filters1", "filters2", "kernel", "hidden", "dropout"))
    assert variants >= 100 and len(broad["seed"]) == 3
    quick = grids.chosen_grids(
        "broad",
        True,
        dict.fromkeys(grids.LIST_FLAGS),
        dict.fromkeys(("max_epochs", "train_subset", "test_subset")),
    )
    assert len(quick["broad"]["seed"]) == 3 and quick["broad"]["train_subset"]


def test_the_study_identity_keeps_its_keys_so_existing_studies_are_found_again():
    """The study name hashes the identity: a renamed key would orphan every study already run (the
    full grids' studies, `make sweep`'s half hour, are the ones worth finding again)."""
    full = grids.chosen_grids(
        "report,broad",
        False,
        dict.fromkeys(grids.LIST_FLAGS),
        dict.fromkeys(("max_epochs", "train_subset", "test_subset")),
    )
    identity = task4.study_identity(full["report"], task4.Recipe(), "mnist")
    assert set(identity) == {"grid", "training", "dataset", "grouping"}
    assert identity["training"] == {"optimizer": "adam", "lr": 1e-3, "momentum": 0.5}
    names = {
        n: sweep.study_name(f"task4_{n}_mnist", task4.study_identity(g, task4.Recipe(), "mnist"))
        for n, g in full.items()
    }
    assert names == {"report": "task4_report_mnist_2e21aab939", "broad": "task4_broad_mnist_79faa7441a"}


def test_the_section_shows_fashion_mnist_when_its_results_are_there(tmp_path):
    results = example(section.Task4Results)
    without = section.report_section(results, Outputs(tmp_path))
    assert "Fashion-MNIST" not in without and "Grid `x`" in without
    save_results(tmp_path / section.FASHION_RESULTS, results)
    assert "### The same grids on Fashion-MNIST" in section.report_section(results, Outputs(tmp_path))
    (tmp_path / section.FASHION_RESULTS).write_text(json.dumps({"grids": {}}))
    assert "**Fashion-MNIST outdated**" in section.report_section(results, Outputs(tmp_path))


def test_the_section_shows_the_full_grids_once_make_sweep_wrote_them(tmp_path):
    quick, full = example(section.Task4Results), example(section.Task4Results)
    full.quick, full.grids["x"].best.test_acc = False, 0.992
    assert quick.quick and "Shown: the quick grids" in section.report_section(quick, Outputs(tmp_path))
    save_results(tmp_path / section.FULL_RESULTS, full)
    outputs = Outputs(tmp_path)
    text = section.report_section(quick, outputs)
    assert "Shown: the full grids" in text and "rank correlation of the 1 configurations" in text
    assert "99.20%" in section.best_headline(quick, outputs) and "full grids" in section.best_headline(
        quick, outputs
    )
    (tmp_path / section.FULL_RESULTS).write_text("{}")
    assert "**The full grids outdated**" in section.report_section(quick, Outputs(tmp_path))


@pytest.mark.parametrize("hidden", [[32, 128], [32, 64, 128]])
def test_every_dimension_of_a_broad_grid_gets_a_verdict(hidden):
    grid = {**grids.GRIDS["broad"], "filters1": [6, 16], "filters2": [12], "kernel": [3, 5], "hidden": hidden}
    grid |= {"dropout": [0.5], "seed": [1, 2, 3], "max_epochs": 1}
    rows = [
        analysis.Variant(
            batch_size=64,
            filters1=f1,
            filters2=12,
            kernel=k,
            hidden=h,
            activation="relu",
            dropout=0.5,
            seed=s,
            epochs=1,
            params=1,
            multiply_adds=1,
            epoch_seconds=1.0,
            train_seconds=1.0,
            train_acc=0.9,
            test_acc=0.9 + h / 2000 + s / 1000,
            trial=0,
        )
        for f1 in (6, 16)
        for k in (3, 5)
        for h in hidden
        for s in (1, 2, 3)
    ]
    found = observations.observations("broad", analysis.Summary(rows, grid)).by_topic()
    assert set(found) == {"filters1", "kernel", "hidden"}
    assert found["kernel"].verdict == "held" and found["filters1"].verdict == "inside the noise"
    testable = [c.verdict is not None for c in found["hidden"].claims]
    assert testable == ([True, True] if 64 in hidden else [True, False])
    assert found["hidden"].claims[0].verdict == "held"
