"""An embedding trained for letters: the digit network fine-tuned, every layer, on generated letters
of many writers (the reference family of forms, other hands than the reference set's), with a new
letter layer and cross-entropy. extensions/embedding_layers.py compares its layers with the digit
network's; the choice among them is made on the selection writers, never on the scored ones.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

import netlib
from recognition.data import datasets, imagefiles
from recognition.handwriting import glyphs
from recognition.io import atomic_folder, moved

WRITERS = 16  # each keeps one reference-family form per letter, so many writers show every form
PER_LETTER = 3  # images per letter and writer
SEED_OFFSET = 200  # far from the reference (seed), own (+1) and selection (+101) sets' seeds
EPOCHS = 30
BATCH = 32
LR = 1e-3


def tuning_set(folder: Path, letters: Sequence[str], seed: int) -> Path:
    """The letters to fine-tune on, `folder` (generated when missing, whole or not at all)."""
    if not folder.exists():
        with atomic_folder(folder) as tmp:
            paths = glyphs.write_glyph_set(
                tmp, letters, PER_LETTER, seed + SEED_OFFSET, glyphs.COURSE_STYLE, writers=WRITERS
            )
        moved(paths, tmp, folder)
        print(f"{folder} was missing: generated {len(paths)} letters of {WRITERS} writers to fine-tune on")
    return folder


def fine_tune(model: netlib.MnistNet, letters: imagefiles.ImageSet, seed: int) -> netlib.MnistNet:
    """A copy of `model` with a letter layer in place of the digit layer, every layer trained on
    `letters` (labelled images) with Adam and cross-entropy; the digit network is left as it is."""
    classes = sorted({label for label in letters.labels if label is not None})
    keep = [i for i, label in enumerate(letters.labels) if label is not None]
    x = datasets.to_model_input(letters.images[keep])
    y = torch.tensor([classes.index(letters.labels[i]) for i in keep])
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = copy.deepcopy(model).cpu()
    net.fc2 = nn.Linear(net.hidden, len(classes))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    net.train()
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(y), generator=gen).split(BATCH):
            loss = F.nll_loss(net(x[batch]), y[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return net.eval()
