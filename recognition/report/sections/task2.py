"""Task 2's results, as `task2_examine.py` writes them, and its report section."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from recognition.networks.filters import FilterReading, ReadingCheck
from recognition.report.markdown import Outputs, code_block, figure, table
from recognition.report.results import StepResults
from recognition.report.steps import Answer

ImageSet = Literal["train", "test"]


@dataclass
class ModelRead:
    """The network read back from its checkpoint, and its summary table."""

    checkpoint: Path
    meta: dict[str, Any]  # the checkpoint's metadata, as saved
    parameters: int  # counted from the weights
    summary_parameters: int  # what torchsummary's table states
    summary_file: Path  # the network and its summary table, as printed


@dataclass
class FirstLayer:
    """a, b) conv1's filters, what each responds to, and how they are applied to a digit."""

    weight_shape: list[int]
    weights: list[list[list[float]]]  # the (10, 5, 5) filters, rounded to 4 decimals
    readings: list[FilterReading]  # one per filter, in the filters' order
    padding: str  # how the filtered images treat the border
    figure: Path


@dataclass
class SecondLayer:
    weight_shape: list[int]
    figure: Path


@dataclass
class DigitFigures:
    filter_effect: Path  # b) the ten filters applied to the digit
    conv_output: Path  # c) the output of the convolution layers
    block1_output: Path  # c) the output of the first conv block


@dataclass
class ExaminedDigit:
    """b, c) one digit: its filtered images and the truncated networks' outputs."""

    image_set: ImageSet
    index: int
    label: int
    predicted: int
    filtered_range: tuple[float, float]  # the lowest and highest filtered value (one grey scale)
    conv_output_shape: list[int]
    block1_output_shape: list[int]
    readings_seen: list[ReadingCheck]  # b) per filter: does its filtered image show its reading?
    figures: DigitFigures
    seconds: float


@dataclass
class Timings:
    """Seconds each part took (the digits' own times are in each digit)."""

    load: float
    summary: float
    first_layer: float
    second_layer: float
    digits: float


@dataclass(kw_only=True)
class Task2Results(StepResults):
    model: ModelRead
    first_layer: FirstLayer
    second_layer: SecondLayer
    digits: list[ExaminedDigit]  # each digit once, in the order asked
    timings_s: Timings


def report_section(r: Task2Results, outputs: Outputs) -> str:
    out = f"The summary table lists {r.model.summary_parameters:,} parameters.\n\n"
    summary = outputs.text(r.model.summary_file.name)
    out += code_block(summary) if summary else ""
    out += f"\n### a) The first layer\n\nWeights of shape {tuple(r.first_layer.weight_shape)}.\n\n" + figure(
        r.first_layer.figure, "The ten first-layer filters (red positive, blue negative)."
    )
    rows = [[i, reading.text] for i, reading in enumerate(r.first_layer.readings)]
    out += (
        "\n### b) What the filters do\n\nReadings computed from each filter's weights (its least-squares "
        "fit by a constant, a linear and a quadratic part; the reading names the part with most of its "
        "energy):\n\n" + table(["filter", "reading"], rows) + f"\nFiltering: {r.first_layer.padding}.\n"
    )
    for d in r.digits:
        name = f"{d.image_set} image {d.index} (label {d.label}, predicted {d.predicted})"
        out += "\n" + figure(d.figures.filter_effect, f"The ten filters applied to {name}.") + "\n"
        out += seen_section(d, name)
    out += "\n### c) Truncated networks\n\n"
    for d in r.digits:
        name = f"{d.image_set} image {d.index}"
        conv, block1 = ("x".join(map(str, shape)) for shape in (d.conv_output_shape, d.block1_output_shape))
        out += (
            f"\nOn {name}: the convolution layers give {conv}, the first block alone {block1}.\n\n"
            + figure(d.figures.conv_output, f"The 20 4x4 outputs of the convolution layers, {name}.")
            + "\n"
            + figure(d.figures.block1_output, f"The 10 12x12 outputs of the first block, {name}.")
        )
    out += "\n" + figure(
        r.second_layer.figure,
        f"The second layer's filters, shape {tuple(r.second_layer.weight_shape)}.",
    )
    return out


def seen_section(d: ExaminedDigit, name: str) -> str:
    """b) per filter, one sentence to check against the figure: its reading, what its filtered image
    should show, and whether it does (the reading's part of the filter alone filtering the same image
    gives an output that follows the whole filter's)."""
    seen, least = (
        sum(c.shows for c in d.readings_seen),
        d.readings_seen[0].threshold if d.readings_seen else 0,
    )
    return (
        f"Does each filtered image of {name} show what the weights say? {seen} of "
        f"{len(d.readings_seen)} do (a reading counts as shown when its part of the filter, alone, "
        f"gives an output correlating at least {least:.2f} with the whole filter's; a texture when no part "
        "does):\n\n" + "".join(f"- **Filter {i}** {c.text}\n" for i, c in enumerate(d.readings_seen))
    )


def seen_headline(r: Task2Results) -> str:
    if not r.digits:
        return "no digit filtered"
    d = r.digits[0]
    return (
        f"{sum(c.shows for c in d.readings_seen)} of {len(d.readings_seen)} filters' readings seen in the "
        f"filtered {d.image_set} image {d.index}"
    )


# --- the assignment's items this section answers (task2_examine.STEP.rubric) -------------------------


def shapes_headline(r: Task2Results) -> str:
    if not r.digits:
        return "no digit examined"
    d = r.digits[0]
    conv, block1 = ("x".join(map(str, shape)) for shape in (d.conv_output_shape, d.block1_output_shape))
    return f"the convolution layers give {conv}, the first block {block1}"


RUBRIC = (
    Answer(
        "2a",
        "a)",
        lambda r: (
            f"{r.first_layer.weight_shape[0]} filters, weights of shape {tuple(r.first_layer.weight_shape)}"
        ),
    ),
    Answer("2b", "b)", seen_headline),
    Answer("2c", "c)", shapes_headline),
)
