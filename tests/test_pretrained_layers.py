"""The pretrained-layers extension: offline MTCNN weights load strictly, torchvision models give
the expected first-layer shapes, and missing weights are a clear, recorded skip."""

import sys

import numpy as np
import pytest
import torch
from PIL import Image

from extensions import pretrained_layers as ext
from recognition import cli
from recognition.networks import pretrained as lib
from recognition.networks.pretrained import LoadReport
from recognition.report.markdown import Outputs
from recognition.report.results import load_results

needs_facenet = pytest.mark.skipif(
    lib.facenet_data_dir() is None, reason="needs facenet-pytorch's MTCNN weights (make venv installs it)"
)


@needs_facenet
@pytest.mark.parametrize("arch", lib.MTCNN_ARCHS)
def test_offline_mtcnn_weights_load_with_every_key(arch):
    net = lib.load_mtcnn(arch)
    state = torch.load(lib.facenet_data_dir() / f"{arch.removeprefix('mtcnn-')}.pt", weights_only=True)
    assert net.load_report == LoadReport(missing_keys=[], unexpected_keys=[], tensors=len(state))
    assert torch.equal(net.conv1.weight, state["conv1.weight"])
    assert "pretrained" in net.weights


@needs_facenet
def test_facenet_folder_is_found_without_importing_the_package():
    folder = lib.facenet_data_dir()
    assert (folder / "onet.pt").is_file()
    assert "facenet_pytorch" not in sys.modules


@needs_facenet
def test_onet_feature_maps_on_an_image():
    net = lib.load_mtcnn("mtcnn-onet")
    x, rgb = lib.to_input(Image.new("RGB", (30, 20), "white"), net)
    assert x.shape == (1, 3, 48, 48) and rgb.shape == (48, 48, 3)
    assert torch.allclose(x, torch.full_like(x, 127.5 / 128))  # MTCNN's (x - 127.5) / 128
    first, second = lib.feature_maps(net, x)
    assert first.shape == (1, 32, 46, 46) and second.shape == (1, 64, 21, 21)


@pytest.mark.parametrize(
    "arch, first_shape, second_shape",
    [
        ("resnet18", (1, 64, 112, 112), (1, 64, 56, 56)),
        ("alexnet", (1, 64, 55, 55), (1, 192, 27, 27)),
    ],
)
def test_torchvision_first_layers_shapes_without_weights(arch, first_shape, second_shape):
    net = lib.load_torchvision(arch, weights=None)
    assert "random" in net.weights and net.load_report is None
    x, _ = lib.to_input(Image.new("RGB", (64, 64), "gray"), net)
    first, second = lib.feature_maps(net, x)
    assert first.shape == first_shape and second.shape == second_shape


def test_local_state_dict_for_a_torchvision_model(tmp_path):
    import torchvision

    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    net = lib.load_torchvision("resnet18", path)
    assert net.weights == str(path) and net.load_report.missing_keys == []


@needs_facenet
def test_filters_are_normalised_one_by_one():
    images = ext.filters_for_display(lib.load_mtcnn("mtcnn-pnet").conv1)
    assert len(images) == 10 and images[0].shape == (3, 3, 3)
    assert all(np.isclose(im.min(), 0) and np.isclose(im.max(), 1) for im in images)


def test_a_missing_weights_file_asked_for_is_a_recorded_error(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(cli.UserError, match="nope.pt.*--weights"):
        ext.main(["--weights", str(missing), "--figures-dir", str(tmp_path)])
    assert str(missing) in load_results(ext.PretrainedResults, tmp_path / ext.STEP.results_file).skipped
    assert not list(tmp_path.glob("*.png"))


def test_the_offline_default_without_weights_is_a_recorded_skip(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(lib, "facenet_data_dir", lambda: None)
    results = ext.main(["--figures-dir", str(tmp_path)])
    assert "facenet-pytorch" in results.skipped and "skipped" in capsys.readouterr().err
    assert load_results(ext.PretrainedResults, tmp_path / ext.STEP.results_file) == results
    assert not list(tmp_path.glob("*.png"))
    assert ext.report_section(results, Outputs(tmp_path)) == f"**Skipped**: {results.skipped}\n"


@needs_facenet
def test_weights_for_another_network_are_refused():
    with pytest.raises(lib.WeightsUnavailable, match="not a state dict for this network"):
        lib.load_mtcnn("mtcnn-onet", lib.facenet_data_dir() / "rnet.pt")


def test_no_facenet_package_means_no_pretend_weights(monkeypatch):
    monkeypatch.setattr(lib, "facenet_data_dir", lambda: None)
    with pytest.raises(lib.WeightsUnavailable, match="pip install --no-deps facenet-pytorch"):
        lib.load_network("mtcnn-onet")


@needs_facenet
def test_main_writes_filters_and_maps_for_given_images(tmp_path):
    image = tmp_path / "scribble.png"
    Image.fromarray(np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (40, 1))).save(image)
    results = ext.main(
        [
            "--image",
            str(image),
            "--no-default-images",
            "--arch",
            "mtcnn-rnet",
            "--channels",
            "5",
            "--figures-dir",
            str(tmp_path / "figs"),
        ]
    )
    names = sorted(p.name for p in (tmp_path / "figs").glob("*.png"))
    assert names == [
        "ext_pretrained_filters.png",
        "ext_pretrained_scribble_layer1.png",
        "ext_pretrained_scribble_layer2.png",
    ]
    assert results.network.name == "MTCNN R-Net" and results.network.load.unexpected_keys == []
    assert results.images["scribble"].layers["conv1+PReLU"].shape == [28, 46, 46]
    saved = load_results(ext.PretrainedResults, tmp_path / "figs" / ext.STEP.results_file)
    assert saved == results
    section = ext.report_section(saved, Outputs(tmp_path / "figs"))
    assert "MTCNN R-Net" in section and "ext_pretrained_scribble_layer2.png" in section
