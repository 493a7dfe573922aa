"""Grouped training: each member of a group is the network its solo training makes."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import netlib
from recognition import training
from recognition.networks import grouped

ROOT = Path(__file__).resolve().parent.parent


def tiny_data(n_train=96, n_test=32):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n_train + n_test, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (n_train + n_test,), generator=gen)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


LAYOUTS = {  # members of different seeds, and members sharing seeds (and so their batches)
    "seeds differ": ([0.0, 0.5, 0.9], [3, 4, 5]),
    "seeds shared": ([0.0, 0.5, 0.0, 0.9], [3, 3, 4, 4]),
    "dropout 1.0 skips its convolutions": ([1.0, 0.5, 1.0], [3, 4, 4]),
    "dropout 1.0 last, as the grids order it": ([0.0, 0.5, 1.0], [3, 4, 4]),
    "every member drops everything": ([1.0, 1.0], [3, 4]),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_each_member_equals_its_solo_training(optimizer, layout):
    """Same initial weights, batch order, dropout masks and optimizer steps as training.train of a
    MnistNet seeded with the member's seed: the weights and accuracies agree."""
    x, y, tx, ty = tiny_data()
    dropouts, seeds = LAYOUTS[layout]
    group = grouped.GroupedNet(grouped.Arch(), dropouts, seeds)
    hists = grouped.train_group(group, x, y, tx, ty, epochs=2, batch_size=32, optimizer=optimizer, lr=1e-3)
    for i, (dropout, seed) in enumerate(zip(dropouts, seeds)):
        netlib.seed_everything(seed)
        solo = netlib.MnistNet(dropout=dropout)
        cfg = training.TrainConfig(
            epochs=2,
            batch_size=32,
            optimizer=optimizer,
            lr=1e-3,
            schedule="constant",
            seed=seed,
            eval_train=False,
            augment="none",
        )
        hist = training.train(solo, x, y, tx, ty, cfg, progress=False)
        member = group.member_state(i)
        for name, weight in solo.state_dict().items():
            assert torch.allclose(member[name], weight, atol=2e-5, rtol=1e-4), (dropout, name)
        assert hists[i].test_acc == pytest.approx(hist.test_acc, abs=1 / len(tx))
        assert hists[i].train_acc == pytest.approx(hist.train_acc, abs=1 / len(x))


def test_members_differ_and_use_their_own_dropout():
    x, y, tx, ty = tiny_data(64, 16)
    group = grouped.GroupedNet(grouped.Arch(kernel=3, activation="tanh"), [0.0, 1.0], [1, 1])
    grouped.train_group(group, x, y, tx, ty, epochs=1, batch_size=32)
    kept, dropped = group.member_state(0), group.member_state(1)
    # Dropout 1.0 zeroes conv2's output, so fc1 receives no gradient; dropout 0 trains it.
    assert torch.equal(dropped["fc1.weight"], grouped.solo_layers(group.arch, 1)[2].weight)
    assert not torch.equal(kept["fc1.weight"], dropped["fc1.weight"])


def test_arch_counts():
    course = grouped.Arch()
    assert course.parameters() == netlib.count_parameters(netlib.MnistNet())
    assert course.multiply_adds() == 24 * 24 * 10 * 25 + 8 * 8 * 20 * 250 + 320 * 50 + 50 * 10
    wide = grouped.Arch(16, 32, 3, 128)
    layers = grouped.solo_layers(wide, 0)
    assert wide.parameters() == sum(p.numel() for layer in layers for p in layer.parameters())
    assert wide.flat() == 32 * 5 * 5
    assert grouped.Arch(kernel=11).problem() and grouped.Arch(activation="swish").problem()
    assert grouped.Arch(kernel=3).problem() is None


def test_course_arch_starts_from_mnistnet_weights():
    torch.manual_seed(7)
    net = netlib.MnistNet()
    group = grouped.GroupedNet(grouped.Arch(), [0.5], [7])
    for name, weight in net.state_dict().items():
        assert torch.equal(group.member_state(0)[name], weight)


HEAP_AFTER_A_STEP = """
import ctypes, sys, torch
from recognition import training
class Mallinfo2(ctypes.Structure):
    names = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(name, ctypes.c_size_t) for name in names.split()]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Mallinfo2
if sys.argv[1] == "keep":
    training.keep_freed_memory()
a, b = torch.ones(5 << 20), torch.ones(5 << 20)  # two 20 MiB activations of a step
mapped = mallinfo2().hblkhd
del a, b
print(mapped >> 20, mallinfo2().fordblks >> 20)
"""


@pytest.mark.skipif(sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc")
def test_keep_freed_memory_keeps_a_steps_buffers_in_the_heap():
    def mib_mapped_and_free_after(mode: str) -> list[int]:
        done = subprocess.run(
            [sys.executable, "-c", HEAP_AFTER_A_STEP, mode], capture_output=True, text=True, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr
        return [int(v) for v in done.stdout.split()]

    mapped, free = mib_mapped_and_free_after("default")
    assert mapped >= 40 and free < 40  # glibc's own choice: mapped apart, unmapped when freed
    mapped, free = mib_mapped_and_free_after("keep")
    assert mapped < 40 and free >= 40  # from the heap, and still there for the next step
