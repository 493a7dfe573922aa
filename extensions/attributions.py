"""Extension: why the network read what it read — Captum attributions beside the input.

For a few MNIST test digits (read right and misread), the misread own digits and some Greek
letters (through the transfer-learned letter layer), this draws the 28x28 input beside three of
Captum's attributions for the predicted class: Saliency (|gradient|), Integrated Gradients (from a
black image) and Grad-CAM at the second conv block; for a misread input, Integrated Gradients
for the true class too, so one sees what the network missed.

    python extensions/attributions.py [--model models/mnist_net.pt] [--figures-dir figures]

The explorer page (extensions/explorer) draws the same Saliency and Grad-CAM maps live.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

import netlib
from recognition import cli, embedding
from recognition.data import datasets, greeksets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import write_json
from recognition.report import plots
from recognition.report.markdown import Results, figure, opening, table

RESULTS_FILE = "attributions_results.json"
COMMAND = "python extensions/attributions.py"
BLACK = float(datasets.to_model_input(torch.zeros(1, 1, 1))[0, 0, 0, 0])  # an empty input, normalised
IG_STEPS = 32


# --- the attributions (also used live by the explorer) ---------------------------------------


class Scores(nn.Module):
    """The network's class scores before its log-softmax, with a hook point after conv block 2.

    Attributions are taken of these scores: a log-probability near 0 (a confident answer) is
    saturated, so its gradients, and every map made from them, all but vanish. Grad-CAM needs
    the block's output after its ReLU (the conv layer's own output is negative in places, which
    can cancel the map out); `block2` is that output, as an identity module Captum can hook.
    """

    def __init__(self, model: netlib.MnistNet):
        super().__init__()
        self.model = model
        self.blocks = netlib.conv_blocks_net(model, 2)
        self.block2 = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = torch.flatten(self.block2(self.blocks(x)), 1)
        return self.model.fc2(F.relu(self.model.fc1(features)))  # the rest of MnistNet.embed, then fc2


def saliency(model: netlib.MnistNet, x: torch.Tensor, target: int) -> np.ndarray:
    """|d score(target) / d input|, 28x28."""
    attr = Saliency(Scores(model)).attribute(x.clone().requires_grad_(True), target=target, abs=True)
    return attr[0, 0].detach().numpy()


def integrated_gradients(model: netlib.MnistNet, x: torch.Tensor, target: int) -> np.ndarray:
    """Signed Integrated Gradients of the class score from a black image, 28x28."""
    attr = IntegratedGradients(Scores(model)).attribute(
        x, baselines=torch.full_like(x, BLACK), target=target, n_steps=IG_STEPS
    )
    return attr[0, 0].detach().numpy()


def grad_cam(model: netlib.MnistNet, x: torch.Tensor, target: int) -> np.ndarray:
    """Grad-CAM of the class score at conv block 2's output (4x4, after ReLU), upsampled to 28x28.

    Signed: the method's final ReLU is left out, since for this small network the weighted sum is
    negative everywhere for about half of the inputs (52% of the first 300 MNIST test digits),
    which would leave a blank map; red (for) and blue (against) show both sides instead.
    """
    scores = Scores(model)
    with torch.enable_grad():
        cam = LayerGradCam(scores, scores.block2).attribute(x, target=target, relu_attributions=False)
    return LayerAttribution.interpolate(cam, (28, 28), "bilinear")[0, 0].detach().numpy()


def unit_scale(a: np.ndarray) -> np.ndarray:
    """Divide by the largest magnitude, so maps of any scale share one colour range ([-1, 1] or [0, 1])."""
    top = float(np.abs(a).max())
    return a / top if top > 0 else a


# --- the examples ----------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where MNIST lives")
    p.add_argument(
        "--own-digits", type=Path, default=Path("data/own_digits"), help="own digit photos (task 1g)"
    )
    p.add_argument("--greek-dir", type=Path, help="Greek reference set (task 3; default: DATA_DIR/greek)")
    p.add_argument(
        "--greek-own-dir", type=Path, help="own Greek letters (task 3; default: DATA_DIR/greek_own)"
    )
    p.add_argument(
        "--figures-dir", type=Path, default=Path("figures"), help="where the figure and results go"
    )
    p.add_argument("--test-images", type=int, default=2000, help="MNIST test images searched for misreadings")
    args = p.parse_args(argv)
    args.greek_dir = args.greek_dir or greeksets.builtin_folder(args.data_dir, "reference")
    args.greek_own_dir = args.greek_own_dir or greeksets.builtin_folder(args.data_dir, "own")
    return args


@torch.inference_mode()
def predict(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    return model(datasets.to_model_input(images)).argmax(1).numpy()


def mnist_examples(model, mnist: datasets.Mnist, n_test: int) -> list[dict]:
    """The first three test digits read right and the first three misread."""
    images, labels = mnist.test_images[:n_test].float() / 255, mnist.test_labels[:n_test].numpy()
    predicted = predict(model, images)
    right = np.flatnonzero(predicted == labels)[:3]
    wrong = np.flatnonzero(predicted != labels)[:3]
    return [
        {
            "source": "MNIST test",
            "name": f"test #{i}",
            "image": images[i],
            "truth": str(labels[i]),
            "prediction": str(predicted[i]),
        }
        for i in [*right, *wrong]
    ]


def own_digit_examples(model, folder: Path) -> tuple[list[dict], int, int]:
    """The misread own digits (the first four), how many labelled own digits were read and misread."""
    if not folder.is_dir():
        return [], 0, 0
    own = imagefiles.load_image_set(folder, vocabulary=set(glyphs.DIGITS))
    predicted = predict(model, own.images)
    labelled = [i for i, y in enumerate(own.labels) if y is not None]
    wrong = [i for i in labelled if int(own.labels[i]) != predicted[i]]
    return (
        [
            {
                "source": "own digit",
                "name": str(own.paths[i].relative_to(folder)),
                "image": own.images[i],
                "truth": own.labels[i],
                "prediction": str(predicted[i]),
            }
            for i in wrong[:4]
        ],
        len(labelled),
        len(wrong),
    )


def letter_network(model, embeddings: np.ndarray, labels: list[str]) -> tuple[nn.Module, list[str]]:
    """The digit network with a letter layer trained on the reference set's embeddings, as in task 3g."""
    classes = list(dict.fromkeys(labels))
    y = np.array([classes.index(label) for label in labels])
    weight, bias = embedding.fit_linear_heads(
        embeddings,
        y,
        len(classes),
        np.ones((1, len(y)), bool),
        steps=embedding.TRANSFER_STEPS,
        lr=embedding.TRANSFER_LR,
        seed=netlib.DEFAULT_SEED,
    )
    return embedding.transfer_network(model, weight[0], bias[0]), classes


def greek_examples(
    model, reference_dir: Path, own_dir: Path
) -> tuple[list[dict], nn.Module | None, list[str]]:
    """The first own image of each letter, read by the transfer network."""
    if not (reference_dir.is_dir() and own_dir.is_dir()):
        return [], None, []
    reference = greeksets.load_reference(reference_dir, "mnist", None, quiet=True)
    net, classes = letter_network(model, embedding.embed(model, reference.images), reference.labels)
    own = imagefiles.load_image_set(own_dir, vocabulary=set(classes))
    firsts = [own.labels.index(c) for c in classes if c in own.labels]
    predicted = predict(net, own.images[firsts]) if firsts else []
    return (
        [
            {
                "source": "own Greek",
                "name": str(own.paths[i].relative_to(own_dir)),
                "image": own.images[i],
                "truth": own.labels[i],
                "prediction": classes[p],
            }
            for i, p in zip(firsts, predicted)
        ],
        net,
        classes,
    )


def attribute(net: nn.Module, example: dict, classes: list[str]) -> dict:
    x = datasets.to_model_input(example["image"][None])
    target = classes.index(example["prediction"])
    maps = {
        "Saliency": unit_scale(saliency(net, x, target)),
        "Integrated Gradients": unit_scale(integrated_gradients(net, x, target)),
        "Grad-CAM (block 2)": unit_scale(grad_cam(net, x, target)),
    }
    if example["truth"] != example["prediction"] and example["truth"] in classes:
        maps[f"IG for the true {example['truth']}"] = unit_scale(
            integrated_gradients(net, x, classes.index(example["truth"]))
        )
    return maps


def overlay(image: np.ndarray, attribution: np.ndarray) -> np.ndarray:
    """The input in dim grey under the attribution: red where it speaks for the class, blue against."""
    grey = np.repeat(0.45 * np.asarray(image, np.float32)[..., None], 3, axis=2)
    alpha = np.clip(np.abs(attribution), 0, 1)[..., None] * 0.9
    colour = np.where(attribution[..., None] >= 0, [1.0, 0.15, 0.0], [0.1, 0.4, 1.0])
    return grey * (1 - alpha) + colour * alpha


def plot_attributions(rows: list[tuple[dict, dict]], path: Path) -> Path:
    """One row per example: the input, then each map over it."""
    import matplotlib.pyplot as plt

    cols = 5
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.9 * cols, 2.0 * len(rows)), squeeze=False)
    for (example, maps), ax_row in zip(rows, axes):
        wrong = example["truth"] != example["prediction"]
        image = np.asarray(example["image"])
        ax_row[0].imshow(image, cmap="gray", vmin=0, vmax=1)
        ax_row[0].set_title(
            f"{example['source']}\n{example['name']}\ntrue {example['truth']}, read "
            f"{example['prediction']}{' WRONG' if wrong else ''}",
            fontsize=7,
            color="red" if wrong else "black",
        )
        for ax, (title, m) in zip(ax_row[1:], maps.items()):
            ax.imshow(overlay(image, m))
            ax.set_title(title, fontsize=7)
        for ax in ax_row:
            ax.axis("off")
    fig.suptitle(
        "Captum attributions for the class the network chose (red: for it, blue: against it)", fontsize=9
    )
    fig.tight_layout()
    return plots.save_figure(fig, path)


def main(argv=None) -> dict:
    args = parse_args(argv)
    clock = time.perf_counter()
    try:
        model, _ = netlib.load_checkpoint(args.model)
    except netlib.CheckpointError as err:
        raise cli.UserError(str(err)) from err
    digits = mnist_examples(model, datasets.load_mnist(args.data_dir), args.test_images)
    own_wrong, own_read, own_misread = own_digit_examples(model, args.own_digits)
    digits += own_wrong
    rows = [(e, attribute(model, e, list(glyphs.DIGITS))) for e in digits]
    greek, greek_net, letters = greek_examples(model, args.greek_dir, args.greek_own_dir)
    rows += [(e, attribute(greek_net, e, letters)) for e in greek]
    path = plot_attributions(rows, args.figures_dir / "attributions.png")
    results = {
        "model": str(args.model),
        "figure": str(path),
        "own_digits_read": own_read,
        "own_digits_misread": own_misread,
        "examples": [{k: e[k] for k in ("source", "name", "truth", "prediction")} for e, _ in rows],
        "missing": [str(d) for d in (args.own_digits, args.greek_dir, args.greek_own_dir) if not d.is_dir()],
        "timings_s": {"total": time.perf_counter() - clock},
    }
    write_json(args.figures_dir / RESULTS_FILE, results)
    print(f"attributions for {len(rows)} inputs: {path}")
    for folder in results["missing"]:
        print(f"  note: {folder} is missing, so its examples are left out (make figures generates it)")
    return results


def report_section(res: Results) -> str:
    r, out = opening(res, RESULTS_FILE, "Extension: why the network read what it read (Captum)", COMMAND)
    if r is None:
        return out
    out += (
        "Each input beside Captum's attributions for the class the network chose, taken of the class "
        "score before the softmax (a confident log-probability is saturated and its gradients vanish): "
        "Saliency (how strongly each pixel moves the score), Integrated Gradients from a black image "
        "(red pixels add to the answer, blue ones count against it) and Grad-CAM at the second conv "
        "block, signed (where the features for and against the answer lie; the method's usual final "
        "ReLU would blank about half of this network's maps). For a misread input the last panel is "
        "Integrated Gradients for the true class: the strokes the network did not credit. The explorer "
        "page (`make demo`) draws all three live for whatever you draw.\n\n"
    )
    if r["own_digits_read"]:
        shown = "the first four are shown" if r["own_digits_misread"] > 4 else "all are shown"
        out += (
            f"Own digits: {r['own_digits_misread']} of {r['own_digits_read']} misread"
            f"{'; ' + shown if r['own_digits_misread'] else ', so none to show'}.\n\n"
        )
    wrong = [
        [e["source"], e["name"], e["truth"], e["prediction"]]
        for e in r["examples"]
        if e["truth"] != e["prediction"]
    ]
    out += table(["input", "file", "true", "read as"], wrong) if wrong else ""
    for folder in r["missing"]:
        out += f"\n`{folder}` was missing, so its examples are left out.\n"
    caption = "Attributions for test digits, misread own digits and own Greek letters."
    return out + "\n" + figure(r["figure"], caption)


if __name__ == "__main__":
    cli.run(main)
