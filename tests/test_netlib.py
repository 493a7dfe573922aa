import pytest
import torch

import netlib
from recognition import cli, networks, training


def test_shapes_and_parameter_count():
    model = netlib.MnistNet()
    out = model(torch.randn(3, 1, 28, 28))
    assert out.shape == (3, 10)
    assert torch.allclose(out.exp().sum(1), torch.ones(3), atol=1e-5)  # log-softmax
    assert netlib.count_parameters(model) == 21840
    assert netlib.count_parameters(netlib.MnistNet(hidden=30)) == 260 + 5020 + 320 * 30 + 30 + 31 * 10


def test_summary_lists_layers_in_report_order():
    table = networks.summary_table(netlib.MnistNet())
    names = ["Conv2d-1", "MaxPool2d-2", "Conv2d-3", "Dropout2d-4", "MaxPool2d-5", "Linear-6", "Linear-7"]
    positions = [table.index(n) for n in names]
    assert positions == sorted(positions)
    assert "Total params: 21,840" in table


def test_truncations_equal_the_full_networks_activations():
    torch.manual_seed(0)
    model = netlib.MnistNet().eval()
    x = torch.randn(4, 1, 28, 28)
    acts = {}
    hooks = [
        getattr(model, name).register_forward_hook(lambda m, i, o, name=name: acts.__setitem__(name, o))
        for name in ("pool1", "pool2", "fc1", "fc2")
    ]
    with torch.no_grad():
        full = model(x)
        one, two = netlib.conv_blocks_net(model, 1)(x), netlib.conv_blocks_net(model, 2)(x)
        emb = netlib.embedding_net(model)(x)
    for h in hooks:
        h.remove()
    assert one.shape == (4, 10, 12, 12) and two.shape == (4, 20, 4, 4) and emb.shape == (4, 50)
    assert torch.equal(one, torch.relu(acts["pool1"]))
    assert torch.equal(two, torch.relu(acts["pool2"]))
    assert torch.equal(emb, torch.relu(acts["fc1"]))
    assert torch.allclose(full, torch.log_softmax(model.fc2(emb), 1))
    # shared, not copied: changing the model changes the truncated network
    with torch.no_grad():
        model.conv1.bias += 1
        assert not torch.equal(netlib.conv_blocks_net(model, 1)(x), one)


def _train_small(seed, epochs=2, augment="handwriting", resume_file=None, stop_after=None):
    netlib.seed_everything(seed)
    model = netlib.MnistNet()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(256, 1, 28, 28, generator=g), torch.randint(0, 10, (256,), generator=g)

    def interrupt(epoch, _):
        if epoch == stop_after:
            raise KeyboardInterrupt

    cfg = training.TrainConfig(epochs=epochs, batch_size=32, seed=seed, augment=augment)
    training.train(
        model, x, y, x[:64], y[:64], cfg, progress=False, on_epoch=interrupt, resume_file=resume_file
    )
    return model.state_dict()


def test_an_interrupted_training_resumes_bit_for_bit(tmp_path):
    state = tmp_path / "m.resume.pt"
    whole = _train_small(3, epochs=3)
    with pytest.raises(KeyboardInterrupt):
        _train_small(3, epochs=3, resume_file=state, stop_after=2)
    assert state.is_file()
    resumed = _train_small(3, epochs=3, resume_file=state)
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)
    assert not state.exists()  # removed once the training is whole


def test_resuming_another_recipe_is_one_clear_error(tmp_path):
    state = tmp_path / "m.resume.pt"
    with pytest.raises(KeyboardInterrupt):
        _train_small(3, epochs=3, resume_file=state, stop_after=1)
    with pytest.raises(cli.UserError, match="another recipe"):
        _train_small(4, epochs=3, resume_file=state)


def test_same_seed_gives_bitwise_identical_weights():
    a, b, c = _train_small(42), _train_small(42), _train_small(7)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_checkpoint_round_trip_and_errors(tmp_path):
    model = netlib.MnistNet(hidden=30)
    path = netlib.save_checkpoint(model, tmp_path / "m.pt", seed=1, test_accuracy=0.5)
    loaded, meta = netlib.load_checkpoint(path)
    assert meta["hidden"] == 30 and meta["seed"] == 1 and meta["torch"] == torch.__version__
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temp file left behind

    with pytest.raises(netlib.CheckpointError, match="width 30.*width 50"):
        netlib.load_checkpoint(path, hidden=50)
    with pytest.raises(netlib.CheckpointError, match="task1_train_mnist"):
        netlib.load_checkpoint(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(netlib.CheckpointError, match="corrupt.pt is not a readable checkpoint"):
        netlib.load_checkpoint(corrupt)


def test_a_bare_state_dict_is_accepted_with_its_width_inferred(tmp_path, capsys):
    model = netlib.MnistNet(hidden=30)
    torch.save(model.state_dict(), tmp_path / "bare.pt")  # what most people save
    loaded, meta = netlib.load_checkpoint(tmp_path / "bare.pt", hidden=30)
    assert meta["hidden"] == 30 and "fc1.weight" in meta["note"] and "(30, 320)" in meta["note"]
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())
    assert "hidden width 30 inferred" in capsys.readouterr().out
    torch.save({"state_dict": model.state_dict()}, tmp_path / "wrapped.pt")  # a wrapper without meta
    assert netlib.load_checkpoint(tmp_path / "wrapped.pt")[1]["hidden"] == 30


def test_weights_of_another_architecture_name_the_mismatched_keys(tmp_path):
    other = torch.nn.Sequential(torch.nn.Linear(784, 10))
    torch.save(other.state_dict(), tmp_path / "mlp.pt")
    with pytest.raises(netlib.CheckpointError, match="another architecture") as err:
        netlib.load_checkpoint(tmp_path / "mlp.pt")
    assert "conv1.weight" in str(err.value) and "unexpected: 0.weight, 0.bias" in str(err.value)
    assert "delete" not in str(err.value)
    wider = netlib.MnistNet().state_dict()
    wider["conv2.weight"] = torch.zeros(30, 10, 5, 5)
    torch.save(wider, tmp_path / "wider.pt")
    with pytest.raises(netlib.CheckpointError, match=r"other shape: conv2.weight \(30, 10, 5, 5\)"):
        netlib.load_checkpoint(tmp_path / "wider.pt")


def test_a_whole_pickled_model_is_refused_without_being_called_unreadable(tmp_path):
    torch.save(netlib.MnistNet(), tmp_path / "whole.pt")
    with pytest.raises(netlib.CheckpointError, match="save model.state_dict") as err:
        netlib.load_checkpoint(tmp_path / "whole.pt")
    assert "not a readable" not in str(err.value) and "delete" not in str(err.value)
