"""Task 1's results, as `task1_train_mnist.py` writes them, and its report section.

A training run writes `Task1Results` (steps a to g) to task1_results.json; a classify-only run
(`--no-train`) writes `ClassifyResults` (steps f and g) to task1_classify_results.json, which the
section shows after the training run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recognition import training
from recognition.report.markdown import Outputs, code_block, figure, fraction, pct, table
from recognition.report.results import ResultsError, StepResults
from recognition.report.steps import Answer

CLASSIFY_RESULTS_FILE = "task1_classify_results.json"  # what a --no-train run writes


@dataclass
class Score:
    """How many were read right, out of how many."""

    right: int
    total: int

    @classmethod
    def of(cls, hits: list[bool]) -> Score:
        return cls(sum(hits), len(hits))

    def __add__(self, other: Score) -> Score:
        return Score(self.right + other.right, self.total + other.total)

    def __str__(self) -> str:
        return fraction(self.right, self.total)


@dataclass
class FirstSix:
    """a) The first six MNIST test digits."""

    labels: list[int]
    figure: str


@dataclass
class NetworkSummary:
    """c) The network: its size, its printed layers, and its diagram (or why there is none)."""

    parameters: int
    summary: str  # a text file: the network as printed and its layer table
    layers: str  # the project's drawing: each layer a box with its output shape and parameters
    diagram: str | None  # torchviz's autograd graph; None when skipped
    diagram_skipped: str | None  # why it was skipped


@dataclass
class Trained:
    """d, e) The training: its recipe, its curves, and where the model was saved."""

    config: training.TrainConfig
    history: training.History
    seconds: float  # the training alone (with --resume: the epochs' own times, summed)
    test_accuracy: float  # after the last epoch
    loss_figure: str
    accuracy_figure: str
    model: str  # the checkpoint written


@dataclass
class ReadBack:
    """f) The saved model as read back: its checkpoint and metadata."""

    path: str
    note: str | None  # a bare state dict: what was inferred from it
    meta: dict[str, Any]  # the checkpoint's metadata, free-form (netlib.save_checkpoint)


@dataclass
class FirstTen:
    """f) The saved model on the first ten test digits."""

    outputs: list[list[float]]  # log-probabilities of the digits 0 to 9
    predicted: list[int]
    labels: list[int]
    figure: str  # the first nine, with their predictions


@dataclass
class OwnAccuracy:
    """g) Accuracy over the labelled own digits, overall and per first-level sub-folder."""

    overall: Score | None  # None: no image had a label
    groups: dict[str, Score]


@dataclass
class OwnDigits:
    """g) The saved model on a folder (or one image) of own digit photos."""

    folder: str
    generated: bool  # the built-in generated set (pages.write_own_digits), not images a person gave
    accuracy: OwnAccuracy
    skipped: list[tuple[str, str]]  # (file, why)
    predicted: list[int]
    labels: list[str | None]
    files: list[str]
    figures: list[str]


@dataclass
class SheetRead:
    """g) One sheet of digits: what was found and how it was read."""

    file: str
    labels: str | None  # the digits written, in reading order, when known
    found: int
    predicted: list[int]
    read: str  # the predictions as printed
    boxes: list[tuple[int, int, int, int]]  # (x0, y0, x1, y1) in reading order
    accuracy: Score | None  # None without labels


@dataclass
class Sheets:
    """g) Every sheet of digits read."""

    source: str
    generated: bool  # the built-in sheets, generated
    sheets: list[SheetRead]
    accuracy: Score | None  # over the labelled sheets
    all_own_digits: Score | None  # single images and sheet crops together
    figures: list[str]


@dataclass
class Classified:
    """f, g) The saved model, read back, on the first test digits, the own digits and the sheets."""

    model: ReadBack
    first_ten: FirstTen
    own_digits: OwnDigits
    sheets: Sheets | None  # None: a folder of one's own digits was given and no sheet


@dataclass(kw_only=True)
class ClassifyResults(StepResults):
    """A classify-only run (`--no-train`): steps f and g with a saved model."""

    seed: int
    classified: Classified


@dataclass(kw_only=True)
class Task1Results(ClassifyResults):
    """A training run: steps a to e, then f and g with the model it saved."""

    first_six: FirstSix
    network: NetworkSummary
    training: Trained


# --- the section -----------------------------------------------------------------------------


def report_section(r: Task1Results, outputs: Outputs) -> str:
    out = data_and_network_section(r, outputs) + training_section(r)
    out += "\n### f) The saved model on the first ten test digits\n\n" + first_ten_section(r.classified)
    out += "\n### g) Own handwritten digits\n\n" + own_digits_section(r.classified, outputs)
    return out + classify_only_section(outputs)


def classify_only_section(outputs: Outputs) -> str:
    """The classify-only run's steps f and g, when one wrote its results here."""
    try:
        classify = outputs.load(ClassifyResults, CLASSIFY_RESULTS_FILE)
    except ResultsError as err:  # written by another version: say so, keep the rest of the report
        return f"\n**Outdated classify-only run**: {err}. Run it again, then `python report.py`.\n"
    if classify is None:
        return ""
    note = classify.classified.model.note
    return (
        "\n### f, g) A classify-only run (`--no-train`)\n\nThe saved model"
        f"{' (' + note + ')' if note is not None else ''}, "
        "read back and run on the first ten test digits and on the own digits:\n\n"
        + first_ten_section(classify.classified)
        + "\n"
        + own_digits_section(classify.classified, outputs)
    )


def data_and_network_section(r: Task1Results, outputs: Outputs) -> str:
    labels = " ".join(map(str, r.first_six.labels))
    out = "### a) The MNIST test set\n\n" + figure(
        r.first_six.figure, f"The first six test digits with their ground truth: {labels}."
    )
    out += (
        "\n### b) Repeatable\n\nEvery random number comes from seed "
        f"{r.seed} (weights, dropout, batch order) and the kernels are deterministic, so the run "
        "repeats bit for bit on the same machine.\n"
    )
    out += (
        f"\n### c) The network\n\n{r.network.parameters:,} parameters. Drawn layer by layer as one forward "
        "pass runs them (each box: the layer, its output shape and its parameters), then as PyTorch "
        "printed it with torchsummary's table, then as torchviz draws its autograd graph (each blue box "
        "a weight or bias, each grey one an operation of the backward pass).\n\n"
        + figure(r.network.layers, "The network's layers, their output shapes and parameter counts.")
        + "\n"
    )
    summary = outputs.text(Path(r.network.summary).name)
    out += code_block(summary) if summary else ""
    if r.network.diagram_skipped or r.network.diagram is None:
        return out + f"\n**Autograd graph skipped**: {r.network.diagram_skipped}\n"
    return out + "\n" + figure(r.network.diagram, "The network as torchviz draws its autograd graph.")


def training_section(r: Task1Results) -> str:
    cfg, h = r.training.config, r.training.history
    columns = zip(h.epoch, h.epoch_train_loss, h.train_acc, h.test_loss, h.test_acc, h.epoch_seconds)
    rows = [
        [e, f"{loss:.4f}", pct(acc), f"{test_loss:.4f}", pct(test_acc), f"{s:.1f} s"]
        for e, loss, acc, test_loss, test_acc, s in columns
    ]
    return (
        f"\n### d) Training\n\n{cfg.optimizer} (learning rate {cfg.lr}, {cfg.schedule} schedule), "
        f"batch {cfg.batch_size}, {cfg.epochs} epochs, {augmentation_text(cfg)}, on {r.device}; "
        f"training took {r.training.seconds:.1f} s.\n\n"
        + table(["epoch", "train loss", "train accuracy", "test loss", "test accuracy", "time"], rows)
        + "\n"
        + figure(r.training.loss_figure, "Training loss against examples seen; test loss after each epoch.")
        + "\n"
        + figure(r.training.accuracy_figure, "Training and test accuracy after each epoch.")
        + "\n### e) Saved\n\nThe model was saved with its metadata and whole training config; final test "
        f"accuracy {pct(r.training.test_accuracy)}.\n"
    )


def augmentation_text(cfg: training.TrainConfig) -> str:
    """What the report says of a training config's augmentation."""
    if cfg.augment == "none":
        return "no augmentation (the assignment's recipe)"
    return (
        f"augmentation `{cfg.augment}` (each batch rotated, scaled, sheared, shifted, bent and "
        "re-penned; `--augment none` is the assignment's recipe)"
    )


def first_ten_section(c: Classified) -> str:
    first = c.first_ten
    rows = [
        [i, " ".join(f"{v:.2f}" for v in o), p, y]
        for i, (o, p, y) in enumerate(zip(first.outputs, first.predicted, first.labels))
    ]
    return (
        "The ten log-probabilities (digits 0 to 9) for each image:\n\n"
        + table(["image", "outputs", "predicted", "correct"], rows)
        + "\n"
        + figure(first.figure, "Predictions for the first nine test digits.")
    )


def own_digits_section(c: Classified, outputs: Outputs) -> str:
    own = c.own_digits
    real = outputs.link("real_digits", "Extension: real people's digits")
    if own.generated:
        out = (
            f"**Generated, not real handwriting**: the built-in stand-in set `{own.folder}`, drawn by "
            "seeded writers (`recognition/handwriting/`), read through the MNIST-style preprocessing. "
            f"Real people's digits are read the same way in {real}.\n\n"
        )
    else:
        out = f"The images given, `{own.folder}` (not the generated set), read by the MNIST-style recipe.\n\n"
    if own.accuracy.overall is not None:
        rows = [["all", str(own.accuracy.overall)]]
        rows += [[g, str(s)] for g, s in own.accuracy.groups.items()]
        out += table(["images", "accuracy"], rows) + "\n"
    for path, reason in own.skipped:
        out += f"- skipped `{path}`: {reason}\n"
    for path in own.figures:
        out += "\n" + figure(
            path, "Each photo beside the 28x28 network input, with the prediction (green right, red wrong)."
        )
    return out + (sheets_section(c.sheets) if c.sheets is not None else "")


def sheets_section(r: Sheets) -> str:
    """Task 1g's paragraph on the sheets."""
    out = "\n#### Sheets of digits\n\n"
    if r.generated:
        out += (
            "**Generated, not real handwriting**: the built-in sheets, like the built-in own digits "
            "above (glyphs.py, pages.py: varied digit shapes, one set of forms per writer; the table "
            "above gives each writer's number). "
        )
    out += (
        f"`{r.source}`: each sheet's ink blobs grouped into digits, ordered in rows, cropped and put "
        "through the same recipe (`sheets.py`).\n\n"
    )
    rows = [
        [Path(s.file).name, s.found, s.read, str(s.accuracy) if s.accuracy is not None else "no labels"]
        for s in r.sheets
    ]
    out += table(["sheet", "digits found", "read as", "right"], rows) + "\n"
    if r.all_own_digits is not None:
        out += f"All own digits (single images and sheet crops): **{r.all_own_digits}**.\n"
    for path in r.figures:
        out += "\n" + figure(path, "The sheet with a numbered box round each digit found and its prediction.")
    return out


# --- the assignment's items this section answers (task1_train_mnist.STEP.rubric) --------------------


def own_headline(r: Task1Results) -> str:
    own, sheets = r.classified.own_digits.accuracy.overall, r.classified.sheets
    parts = [f"own digits {own}" if own is not None else "own digits read (no labels)"]
    if sheets is not None and sheets.accuracy is not None:
        parts.append(f"sheets {sheets.accuracy}")
    return "; ".join(parts)


def first_ten_headline(first: FirstTen) -> str:
    right = sum(p == y for p, y in zip(first.predicted, first.labels))
    return f"{right} of the first {len(first.labels)} test digits right"


RUBRIC = (
    Answer("1a", "a)", lambda r: "ground truth " + " ".join(map(str, r.first_six.labels))),
    Answer("1b", "b)", lambda r: f"seed {r.seed}"),
    Answer("1c", "c)", lambda r: f"{r.network.parameters:,} parameters, drawn layer by layer"),
    Answer(
        "1d",
        "d)",
        lambda r: f"{pct(r.training.test_accuracy)} test accuracy after {r.training.config.epochs} epochs",
    ),
    Answer("1e", "e)", lambda r: f"`{Path(r.training.model).name}`"),
    Answer("1f", "f)", lambda r: first_ten_headline(r.classified.first_ten)),
    Answer("1g", "g)", own_headline),
)
