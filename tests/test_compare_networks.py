"""The networks comparison: the perturbed test conditions, the computed observations, and the
whole script on a small subset."""

import dataclasses

import pytest
import torch

import netlib
from extensions import compare_networks as cmp
from recognition import networks
from recognition.data import perturb as pt
from recognition.report.markdown import Outputs
from recognition.report.results import example, load_results


def digit_bar() -> torch.Tensor:
    img = torch.zeros(1, 28, 28, dtype=torch.uint8)
    img[0, 6:22, 13:15] = 255  # a vertical stroke, 2 px wide
    return img


@pytest.mark.parametrize("condition", pt.CONDITIONS)
def test_each_condition_keeps_shape_and_range(condition):
    x = pt.perturb(digit_bar().repeat(4, 1, 1), condition)
    assert x.shape == (4, 28, 28) and x.min() >= 0 and x.max() <= 1


def test_conditions_do_what_they_say():
    bar = digit_bar()
    clean = pt.perturb(bar, "test set")
    assert clean.sum() == 32
    assert pt.perturb(bar, "thickened 1 px").sum() > clean.sum() > pt.perturb(bar, "thinned 1 px").sum() > 0
    shifted = pt.perturb(bar, f"shifted {pt.SHIFT} px")  # the first image moves right
    assert torch.equal(shifted[0, :, 13 + pt.SHIFT : 15 + pt.SHIFT], clean[0, :, 13:15])
    rotated = pt.perturb(bar, "rotated +30")
    assert rotated[0, :, 13:15].sum() < clean[0, :, 13:15].sum()


def test_observations_are_computed_from_the_numbers():
    def row(arch, clean, worse, macs):
        return dataclasses.replace(
            example(cmp.NetworkRow),
            arch=arch,
            multiply_adds=macs,
            test_accuracy=clean,
            perturbed_accuracy={c: worse for c in pt.CONDITIONS[1:]},
        )

    rows = {
        "learned CNN": row("cnn", 0.99, 0.9, 100),
        "transformer (cpu)": row("transformer", 0.98, 0.7, 300),
    }
    found = cmp.observations(rows)
    assert found[0].startswith(
        "rotated -30: the learned CNN loses least (9.0 points), the transformer (cpu) most"
    )
    assert any("3.0x the learned CNN" in line for line in found)


@pytest.mark.slow
def test_end_to_end_on_a_small_subset(tmp_path, own_digits):
    own = own_digits
    figs = tmp_path / "figures"
    args = ["--train-subset", "300", "--test-subset", "100", "--perturbed", "50", "--own-digits", str(own)]
    args += ["--models-dir", str(tmp_path / "models"), "--figures-dir", str(figs), "--device", "cpu"]
    results = cmp.main(args)
    assert list(results.networks) == [
        "learned CNN",
        "Gabor CNN",
        "transformer (cpu)",
    ]  # no course checkpoint
    for r in results.networks.values():
        assert set(r.perturbed_accuracy) == set(pt.CONDITIONS[1:]) and r.seconds_per_epoch > 0
    assert results.own_images == 10 and results.perturbed_images == 50
    for name in ("ext_networks_compared.png", "ext_networks_conditions.png", cmp.STEP.results_file):
        assert (figs / name).stat().st_size > 0
    saved = load_results(cmp.CompareResults, figs / cmp.STEP.results_file)
    assert saved == results
    section = cmp.report_section(saved, Outputs(figs))
    assert "**Hypothesis**" in section and "**Observed**" in section
    assert section.index("learned CNN") < section.index("Gabor CNN") < section.index("transformer (cpu)")
    assert (
        "| transformer (course) | not trained here: `python task1_train_mnist.py --arch transformer"
        in section
    )
    # once `task1_train_mnist.py --preset course` has saved its checkpoint (here: untrained weights
    # with the metadata of a run on these 300 images), the comparison shows it; another seed's is refused
    course = networks.build_network("transformer", **networks.preset_settings("transformer", "course")[0])
    path = tmp_path / "models" / networks.checkpoint_name("transformer", "course")
    netlib.save_checkpoint(course, path, seed=42, train_images=300, epochs=15, epoch_seconds=[1.0] * 15)
    shown = cmp.main(args)
    assert list(shown.networks)[-1] == "transformer (course)" and not shown.left_out
    assert shown.networks["learned CNN"] == results.networks["learned CNN"]  # read back, not retrained
    course_row = next(a for a in cmp.STEP.rubric if a.item == "c4-transformer").headline(shown)
    assert course_row.startswith("the course preset: ") and course_row.endswith("%")
    netlib.save_checkpoint(course, path, seed=1, train_images=300)
    assert "another seed or data" in cmp.main(args).left_out["transformer (course)"]


def test_a_network_left_out_is_a_row_saying_why_and_how_to_train_it():
    results = example(cmp.CompareResults)
    results.left_out = {"transformer (course)": "not trained here: `python task1_train_mnist.py ...`"}
    text = cmp.report_section(results, Outputs("."))
    assert "| transformer (course) | not trained here: `python task1_train_mnist.py ...` |" in text
    course = next(a for a in cmp.STEP.rubric if a.item == "c4-transformer")
    assert (
        course.headline(results) == "the course preset: not trained here: `python task1_train_mnist.py ...`"
    )
