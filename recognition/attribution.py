"""Why a digit network read what it read: Captum's Saliency, Integrated Gradients and Grad-CAM of
its class scores, and the letter network whose answers on Greek letters they explain.

The attributions extension draws them for a report figure; the explorer page draws them live.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerAttribution, LayerGradientXActivation, Saliency

import netlib
from recognition import embedding
from recognition.data import datasets

BLACK = float(datasets.to_model_input(torch.zeros(1, 1, 1))[0, 0, 0, 0])  # an empty input, normalised
IG_STEPS = 32


class Scores(nn.Module):
    """The network's class scores before its log-softmax, with a hook point after conv block 2.

    Attributions are taken of these scores: a log-probability near 0 (a confident answer) is
    saturated, so its gradients, and every map made from them, all but vanish. Grad-CAM is taken
    of the block's output after its ReLU; `block2` is that output, as an identity module Captum
    can hook.
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
    """Grad-CAM at conv block 2 (4x4, after ReLU), location by location, upsampled to 28x28.

    Each of the 16 locations gets the sum over the 20 channels of gradient x activation: its share
    of the class score to first order, so the map sums to (about) the score, red for the answer and
    blue against it. The usual Grad-CAM weighs each channel by its gradient averaged over the
    locations; with a 4x4 block feeding dense layers that average is mostly negative here (the sum
    of the map was negative for 90% of the first 200 MNIST test digits, all read right), so the
    maps showed blue where the network found its evidence.
    """
    scores = Scores(model)
    with torch.enable_grad():
        cam = LayerGradientXActivation(scores, scores.block2).attribute(x, target=target).sum(1, keepdim=True)
    return LayerAttribution.interpolate(cam, (28, 28), "bilinear")[0, 0].detach().numpy()


def unit_scale(a: np.ndarray) -> np.ndarray:
    """Divide by the largest magnitude, so maps of any scale share one colour range ([-1, 1] or [0, 1])."""
    top = float(np.abs(a).max())
    return a / top if top > 0 else a


def letter_network(model, embeddings: np.ndarray, labels: list[str]) -> tuple[nn.Module, list[str]]:
    """The digit network with a letter layer trained on the reference set's embeddings, as in task 3g:
    the network whose answers on Greek letters the attributions explain."""
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
