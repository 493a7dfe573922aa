"""The digit networks beside the CNN: the Gabor CNN and the patch transformer (netlib), their
checkpoints, attention maps, training through trainlib, and Task 1's --arch/--preset flags."""

import pytest
import torch

import netlib
import task1_train_mnist as task1
from recognition import networks, training, training_flags
from recognition.data import datasets
from recognition.networks.gabor import gabor_bank
from recognition.networks.transformer import (
    attention_rollout,
    attention_to_pixels,
    last_layer_attention,
    layer_attention,
)


def tiny_mnist(n_train=48, n_test=16) -> datasets.Mnist:
    gen = torch.Generator().manual_seed(0)
    images = lambda n: torch.randint(0, 256, (n, 28, 28), generator=gen, dtype=torch.uint8)  # noqa: E731
    labels = lambda n: torch.randint(0, 10, (n,), generator=gen)  # noqa: E731
    return datasets.Mnist(images(n_train), labels(n_train), images(n_test), labels(n_test), "random")


def transformer(preset="cpu", **changes) -> networks.PatchTransformer:
    network, _ = networks.preset_settings("transformer", preset)
    return networks.build_network("transformer", **{**network, **changes})


@pytest.mark.parametrize("arch", ["cnn", "gabor", "transformer"])
def test_every_kind_gives_ten_log_probabilities_and_an_embedding(arch):
    model = networks.build_network(arch).eval()
    x = torch.randn(3, 1, 28, 28)
    out = model(x)
    assert out.shape == (3, 10)
    assert torch.allclose(out.exp().sum(1), torch.ones(3), atol=1e-5)
    assert model.embed(x).shape == (3, model.hidden)


def test_parameter_counts_and_tokens():
    course = transformer("course")
    assert course.tokens == 169  # 4x4 patches every 2 px: 13 x 13
    assert netlib.count_parameters(course) == 104_842  # the peer's count: CLS token, classifier 48->128->10
    cpu = transformer("cpu")
    assert cpu.tokens == 16  # 7x7 patches side by side: 4 x 4
    width, mlp, tokens = 48, 96, 16 + 1
    block = (
        (3 * width * width + 3 * width)
        + (width * width + width)
        + 2 * 2 * width
        + (width * mlp + mlp)
        + (mlp * width + width)
    )
    head = (width * 128 + 128) + (128 * 10 + 10)
    expected = (49 * width + width) + width + tokens * width + 3 * block + head
    assert netlib.count_parameters(cpu) == expected
    assert netlib.count_parameters(transformer("cpu", pool="mean")) == expected - 2 * width
    gabor = networks.GaborNet()
    assert netlib.count_parameters(gabor) == 21_840 - 10  # the bank has no bias
    assert sum(p.numel() for p in gabor.parameters() if p.requires_grad) == 21_840 - 10 - 250


def test_overlapping_patches_are_one_linear_layer_on_each_patch():
    model = transformer("course").eval()
    x = torch.randn(2, 1, 28, 28)
    patches = torch.nn.functional.unfold(x, 4, stride=2).transpose(1, 2)  # (2, 169, 16)
    linear = patches @ model.embed_patch.weight.flatten(1).T + model.embed_patch.bias
    tokens = model.to_tokens(x)[:, 1:] - model.position[:, 1:]
    assert torch.allclose(tokens, linear, atol=1e-5)


@pytest.mark.parametrize("bad", [dict(patch=5, stride=2), dict(width=50, heads=8), dict(pool="max")])
def test_bad_transformer_settings_are_refused(bad):
    with pytest.raises(ValueError):
        transformer("cpu", **bad)


def test_unknown_kind_and_preset_name_the_choices():
    with pytest.raises(ValueError, match="transformer"):
        networks.build_network("vit")
    with pytest.raises(ValueError, match="course"):
        networks.preset_settings("transformer", "gpu")
    assert networks.preset_settings("cnn", "course") == ({}, {})


def test_gabor_bank_is_ten_zero_mean_unit_filters_at_every_angle():
    bank, names = gabor_bank()
    assert bank.shape == (10, 1, 5, 5) and len(set(names)) == 10
    assert torch.allclose(bank.sum((1, 2, 3)), torch.zeros(10), atol=1e-5)
    assert torch.allclose(bank.flatten(1).norm(dim=1), torch.ones(10), atol=1e-5)
    assert torch.equal(networks.GaborNet().conv1.weight, bank)


@pytest.mark.parametrize("arch", ["cnn", "gabor", "transformer"])
def test_checkpoint_round_trip_rebuilds_every_kind(tmp_path, arch):
    netlib.seed_everything(1)
    model = networks.build_network(arch, **networks.preset_settings(arch, "course")[0]).eval()
    path = netlib.save_checkpoint(model, tmp_path / "net.pt", test_accuracy=0.5)
    loaded, meta = netlib.load_checkpoint(path)
    assert type(loaded) is type(model) and meta["arch"] == arch
    assert loaded.settings() == model.settings()
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(loaded(x), model(x))


def test_a_checkpoint_without_a_kind_is_the_cnn(tmp_path):
    model = netlib.MnistNet(hidden=30)
    old = {"state_dict": model.state_dict(), "meta": {"hidden": 30, "dropout": 0.5}}
    torch.save(old, tmp_path / "old.pt")
    loaded, _ = netlib.load_checkpoint(tmp_path / "old.pt")
    assert type(loaded) is netlib.MnistNet and loaded.hidden == 30


def test_asking_a_transformer_checkpoint_for_a_cnn_width_is_a_clear_error(tmp_path):
    path = netlib.save_checkpoint(transformer(), tmp_path / "t.pt")
    with pytest.raises(netlib.CheckpointError, match="transformer"):
        netlib.load_checkpoint(path, hidden=50)


def test_the_gabor_layer_stays_bit_for_bit_fixed_while_the_rest_learns():
    mnist = tiny_mnist()
    cfg = training.TrainConfig(epochs=2, batch_size=16, optimizer="adamw", weight_decay=0.1, eval_train=False)
    model, _ = training.train_digit_network(mnist, cfg, progress=False, arch="gabor")
    netlib.seed_everything(cfg.seed)
    fresh = networks.GaborNet()  # the same start
    assert torch.equal(model.conv1.weight, gabor_bank()[0])
    assert not torch.equal(model.conv2.weight, fresh.conv2.weight)
    assert not torch.equal(model.fc1.weight, fresh.fc1.weight)


@pytest.mark.parametrize("preset", ["cpu", "course"])
@pytest.mark.parametrize("pool", ["cls", "mean"])
def test_attention_maps_sum_to_one_over_the_patches(preset, pool):
    model = transformer(preset, pool=pool).eval()
    x = torch.randn(4, 1, 28, 28)
    for maps in (attention_rollout(model, x), last_layer_attention(model, x)):
        assert maps.shape == (4, model.side, model.side)
        assert (maps >= 0).all()
        assert torch.allclose(maps.sum((1, 2)), torch.ones(4), atol=1e-5)
    layers = layer_attention(model, x)
    assert len(layers) == model.depth
    assert torch.allclose(layers[0].sum(-1), torch.ones(4, model.tokens + (pool == "cls")), atol=1e-5)
    pixels = attention_to_pixels(model, attention_rollout(model, x))
    assert pixels.shape == (4, 28, 28) and (pixels >= 0).all()


def test_attention_on_pixels_follows_the_patch_that_holds_it():
    model = transformer("cpu").eval()
    maps = torch.zeros(1, 4, 4)
    maps[0, 2, 3] = 1.0  # the patch in row 2, column 3: pixels 14-20 down, 21-27 across
    pixels = attention_to_pixels(model, maps)[0]
    assert pixels[14:21, 21:28].eq(1).all() and pixels.sum() == 49


def test_multiply_adds_grow_with_the_tokens():
    nets = (netlib.MnistNet(), transformer("cpu"), transformer("course"))
    cnn, cpu, course = (networks.multiply_adds(m) for m in nets)
    assert cnn == 24 * 24 * 10 * 25 + 8 * 8 * 20 * 250 + 320 * 50 + 50 * 10
    assert cnn < cpu < course


def test_adamw_takes_the_weight_decay():
    cfg = training.TrainConfig(optimizer="adamw", weight_decay=0.01)
    opt, _ = training.make_optimizer(netlib.MnistNet(), cfg, 10)
    assert isinstance(opt, torch.optim.AdamW) and opt.param_groups[0]["weight_decay"] == 0.01


def test_load_or_train_trains_once_then_reuses(tmp_path, capsys):
    mnist = tiny_mnist()
    first, meta = training.load_or_train(tmp_path, mnist, "gabor", seed=3)
    assert "training the gabor network" in capsys.readouterr().out
    assert (tmp_path / "gabor_net.pt").is_file() and len(meta["epoch_seconds"]) == 5
    again, _ = training.load_or_train(tmp_path, mnist, "gabor", seed=3)
    assert "training" not in capsys.readouterr().out
    assert torch.equal(again.fc2.weight, first.fc2.weight)
    training.load_or_train(tmp_path, mnist, "gabor", seed=4)  # another seed: trained again
    assert "training the gabor network" in capsys.readouterr().out


def test_task1_training_config_takes_the_preset_and_explicit_flags_win():
    def config(*flags):
        args = task1.parse_args(list(flags))
        return training_flags.config_from_args(args, networks.preset_settings(args.arch, args.preset)[1])

    cfg = config("--arch", "transformer", "--preset", "course")
    assert (cfg.epochs, cfg.batch_size, cfg.optimizer, cfg.lr, cfg.weight_decay, cfg.schedule) == (
        15,
        64,
        "adamw",
        1e-3,
        1e-4,
        "constant",
    )
    cfg = config("--arch", "transformer", "--preset", "course", "--epochs", "2", "--lr", "0.01")
    assert (cfg.epochs, cfg.lr, cfg.optimizer) == (2, 0.01, "adamw")
    cfg = config("--arch", "transformer", "--optimizer", "sgd")
    assert (cfg.lr, cfg.schedule) == (0.01, "constant")  # the preset's rate is for its own optimizer
    assert config() == training.TrainConfig()


@pytest.mark.slow
def test_task1_trains_saves_and_reads_back_a_transformer(tmp_path, own_digits):
    own = own_digits
    results = task1.main(
        [
            "--arch",
            "transformer",
            "--train-subset",
            "300",
            "--test-subset",
            "100",
            "--epochs",
            "1",
            "--models-dir",
            str(tmp_path / "models"),
            "--own-digits",
            str(own),
            "--figures-dir",
            str(tmp_path / "figures"),
            "--no-progress",
        ]
    )
    meta = results.classified.model.meta  # the checkpoint's metadata, as saved
    assert meta["arch"] == "transformer" and meta["network"]["patch"] == 7
    assert results.network.parameters == netlib.count_parameters(transformer("cpu"))
    assert results.training.config.optimizer == "adamw"
    assert (tmp_path / "models" / "transformer_cpu.pt").is_file()
    assert (tmp_path / "figures" / "task1_results.json").is_file()
