"""The handwriting augmentation: per-image changes, seeded, background kept, wired into training."""

from __future__ import annotations

import pytest
import torch

import netlib
from recognition import training
from recognition.data import augment, datasets


def bars(n: int = 16) -> torch.Tensor:
    """n normalised 28x28 images of a vertical bar, as the network sees them."""
    x = torch.zeros(n, 28, 28)
    x[:, 6:22, 12:16] = 1.0
    return datasets.to_model_input(x)


def test_same_seed_same_batch_other_seed_other_batch():
    x = bars()
    assert torch.equal(augment.Augmenter(1)(x), augment.Augmenter(1)(x))
    assert not torch.equal(augment.Augmenter(1)(x), augment.Augmenter(2)(x))


def test_each_image_changes_on_its_own_and_background_stays_black():
    x = bars()
    out = augment.Augmenter(0)(x)
    assert out.shape == x.shape
    changed = [(not torch.allclose(out[i], x[i], atol=1e-4)) for i in range(len(x))]
    assert sum(changed) >= len(x) // 2  # most images change ...
    assert len({round(out[i].sum().item(), 2) for i in range(len(x))}) > len(x) // 2  # ... each differently
    black = x.min().item()
    assert out.min().item() >= black - 1e-4 and abs(out[:, :, 0, 0] - black).max() < 1e-3
    ink = (out > black + 0.5).flatten(1).sum(1)
    assert (ink > 20).all()  # no digit lost off the frame or eroded away


def test_pen_changes_make_strokes_thicker_and_thinner():
    aug = augment.Augmenter(
        0, augment.Ranges(probability=1.0, rotation=0, scale=0, shear=0, shift=0, elastic=0, pen=0.5)
    )
    x = bars(64)
    widths = ((aug(x) > x.min() + 1.0).flatten(1).sum(1)).tolist()
    base = (x[0] > x.min() + 1.0).sum().item()
    assert min(widths) < base < max(widths)


def test_unknown_augmentation_is_refused_and_none_means_none():
    assert augment.make_augmenter("none", 0) is None
    with pytest.raises(ValueError, match="augment must be one of"):
        augment.make_augmenter("mirror", 0)


def test_training_with_augmentation_is_repeatable_and_recorded():
    mnist = datasets.load_mnist("data").subset(256, 64)
    cfg = training.TrainConfig(epochs=1, augment="handwriting", eval_train=False)
    a, hist = training.train_digit_network(mnist, cfg, progress=False)
    b, _ = training.train_digit_network(mnist, cfg, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    plain_cfg = training.TrainConfig(epochs=1, eval_train=False, augment="none")
    plain, _ = training.train_digit_network(mnist, plain_cfg, progress=False)
    assert not torch.equal(a.fc2.weight, plain.fc2.weight)
    assert training.config_from_meta({"train_config": {"augment": "handwriting"}}).augment == "handwriting"
    # a checkpoint from before augmentation existed was trained without it
    assert training.config_from_meta({"train_config": {"epochs": 5}}).augment == "none"
    assert training.config_from_meta({}).augment == training.TrainConfig().augment == "handwriting"
    assert isinstance(a, netlib.MnistNet) and len(hist.test_acc) == 1


def test_the_training_set_pass_changes_no_weight():
    mnist = datasets.load_mnist("data").subset(128, 32)
    cfg = training.TrainConfig(epochs=1, batch_size=32)
    lean = training.without_train_pass(cfg)
    a, _ = training.train_digit_network(mnist, cfg, progress=False)
    b, _ = training.train_digit_network(mnist, lean, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert training.same_recipe(cfg, lean) and not training.same_recipe(cfg, training.TrainConfig(epochs=2))
