"""The explorer's API through FastAPI's test client, and its server as a person starts it."""

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import explorer_support as support
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import netlib
from extensions.explorer import flags, server, uploads
from recognition import cli, networks, readers
from recognition.data import imagefiles


@pytest.fixture(scope="module")
def explorer(request):
    return support.explorer(request.config.cache.mkdir("explorer"))


@pytest.fixture(scope="module")
def client(explorer):
    return TestClient(server.create_app(explorer), base_url="http://127.0.0.1:8000")


def post(client, data: bytes | None, endpoint="/api/predict", name="image.png"):
    files = None if data is None else {"image": (name, data, "application/octet-stream")}
    return client.post(endpoint, files=files)


@pytest.mark.parametrize("digit", list("0123456789"))
def test_each_drawn_digit_comes_back_right(client, digit):
    r = post(client, support.encode(support.drawing(digit)))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["prediction"] == digit == body["networks"][0]["prediction"]  # one type: the class name
    assert abs(sum(body["probabilities"]) - 1) < 0.01 and len(body["probabilities"]) == 10
    assert body["networks"][0]["top3"][0] == {"class": digit, "probability": max(body["probabilities"])}
    x = np.array(body["input"])
    assert x.shape == (28, 28) and 0 <= x.min() and x.max() <= 1 and x.max() > 0.9


def test_an_image_that_may_not_hold_one_symbol_says_why(client):
    """Uniform noise is answered with a `doubt` (the page's webcam says "no symbol in view")."""
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    body = post(client, support.encode(Image.fromarray(noise))).json()
    assert "noise" in body["doubt"] or "ink over most" in body["doubt"], body["doubt"]
    assert post(client, support.encode(support.drawing("5"))).json()["doubt"] is None


def test_a_photo_is_read_and_everything_the_page_draws_is_there(client):
    r = post(client, support.encode(support.photo("4"), "JPEG", quality=90), name="photo.jpg")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["prediction"] == "4"
    assert np.array(body["feature_maps"]["block1"]).shape == (10, 12, 12)
    assert np.array(body["feature_maps"]["block2"]).shape == (20, 4, 4)
    for heat in ("saliency", "integrated_gradients", "gradcam"):
        h = np.array(body[heat])
        assert h.shape == (28, 28) and np.abs(h).max() == 1  # scaled for the page's colours
    assert np.array(body["saliency"]).min() >= 0


@pytest.mark.parametrize("digit", ["1", "7"])
def test_saliency_gathers_around_the_ink(client, digit):
    """The gradient is largest where the strokes are: the ink's box (2 px margin) holds a clearly
    larger share of the saliency than of the image's area."""
    body = post(client, support.encode(support.drawing(digit))).json()
    x, s = np.array(body["input"]), np.array(body["saliency"])
    ys, xs = np.nonzero(x > 0.1)
    box = np.zeros((28, 28), bool)
    box[max(ys.min() - 2, 0) : ys.max() + 3, max(xs.min() - 2, 0) : xs.max() + 3] = True
    assert s[box].sum() / s.sum() > 1.3 * box.mean()


def test_a_drawn_alpha_in_greek_mode(client, explorer):
    r = post(client, support.encode(support.drawing("alpha")), "/api/greek")
    assert r.status_code == 200, r.text
    body = r.json()
    letters = explorer.greek_reference.letters
    assert body["prediction"] == "alpha"
    assert set(body["classifiers"].values()) <= set(letters) and len(body["classifiers"]) == 5
    assert body["classifiers"]["transfer layer"] == body["transfer"]["prediction"]
    chosen = explorer.greek_reference.chosen  # the big answer is the reader chosen on other writers
    assert body["reader"]["name"] == chosen.reader.name and body["reader"]["selection"] == list(
        chosen.selection
    )
    assert body["classifiers"][f"chosen: {chosen.reader.name}"] == body["prediction"]
    reader = body["reader"]
    assert reader["runner_up"] in letters and reader["runner_up"] != body["prediction"]
    assert reader["near_tie"] == (reader["margin"] < readers.NEAR_TIE)
    ssd = [n["ssd"] for n in body["neighbours"]]
    assert ssd == sorted(ssd) and len(ssd) == 5
    first = body["neighbours"][0]
    assert first["letter"] in letters and first["file"].startswith(first["letter"] + "/")
    assert abs(sum(body["transfer"]["probabilities"]) - 1) < 0.01


# --- bad input: a 4xx with a JSON detail, and the server keeps serving ---------------------


def bomb() -> bytes:
    """A small PNG whose header claims more pixels than Pillow's decompression-bomb limit."""
    side = 10_000
    return support.encode(Image.new("1", (side, Image.MAX_IMAGE_PIXELS // side + 1)), optimize=False)


BAD = {
    "no file": (None, 400, "no file"),
    "empty file": (b"", 400, "empty file"),
    "not an image": (b"%PDF-1.4 this is no picture", 400, "not an image"),
    "truncated": (support.encode(support.drawing("3"))[:200], 400, "cannot decode"),
    "blank": (support.encode(Image.new("RGB", (280, 280), "white")), 422, "no ink found"),
    "over 10 MB": (b"\x89PNG" + bytes(uploads.MAX_UPLOAD_BYTES), 413, "file too large"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("endpoint", ["/api/predict", "/api/greek"])
def test_bad_input_gets_its_status_and_message(client, case, endpoint):
    data, status, message = BAD[case]
    r = post(client, data, endpoint)
    assert r.status_code == status and message in r.json()["detail"], r.text
    assert post(client, support.encode(support.drawing("7")), endpoint).status_code == 200


def test_a_decompression_bomb_is_refused_before_decoding(client):
    r = post(client, bomb())
    assert r.status_code == 400 and "too many pixels" in r.json()["detail"]


def test_uploads_have_a_much_lower_pixel_limit_than_pillow(client):
    """27 megapixels of white: under Pillow's 89-MP limit (it decoded them at length), over the uploads'."""
    big = support.encode(Image.new("1", (6000, 4500), 1), optimize=False)
    t = time.perf_counter()
    r = post(client, big)
    assert r.status_code == 400 and "24 megapixels" in r.json()["detail"], r.text
    assert time.perf_counter() - t < 2  # refused from the header, never decoded


def test_large_images_are_decoded_one_at_a_time_and_reduced(monkeypatch):
    """Four large uploads at once: one decode at a time, shrunk by a whole factor as they are decoded
    (2400 px -> 1200 px); small ones do not wait for each other."""
    active, most, sides = [0], {}, set()
    real = imagefiles.upright_rgb

    def slow(img):
        key = "large" if img.width > 1000 else "small"
        sides.add(img.width)
        active[0] += 1
        most[key] = max(most.get(key, 0), active[0])
        time.sleep(0.3)
        active[0] -= 1
        return real(img)

    monkeypatch.setattr(imagefiles, "upright_rgb", slow)
    for image in (support.drawing("3", 2400), support.drawing("3")):
        data = support.encode(image)
        with ThreadPoolExecutor(4) as pool:
            assert all(x.shape == (28, 28) for x in pool.map(uploads.read_upload, [data] * 4))
    assert most == {"large": 1, "small": 4} and sides == {1200, 280}


def test_an_oversized_body_is_refused_from_its_header(client):
    r = client.post(
        "/api/predict",
        content=b"x" * (uploads.MAX_UPLOAD_BYTES + uploads.MULTIPART_SLACK + 1),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 413 and "file too large" in r.json()["detail"]


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and '<canvas id="pad"' in page.text
    for name in ("paint.js", "app.js", "webcam.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/api/info").json()["networks"] == ["CNN"]


# --- only this computer's pages: DNS rebinding and cross-origin POSTs ------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""])
def test_on_loopback_only_loopback_host_names_are_answered(client, host):
    for path in ("/", "/api/info", "/static/app.js"):
        r = client.get(path, headers={"host": host})
        assert r.status_code == 403 and "refused" in r.json()["detail"], (path, r.text)
    r = client.post("/api/predict", headers={"host": host}, files={"image": ("x.png", b"x")})
    assert r.status_code == 403


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "127.0.0.2", "[::1]:8000", "LOCALHOST"])
def test_loopback_host_names_are_answered(client, host):
    assert client.get("/api/info", headers={"host": host}).status_code == 200


def test_bound_to_all_interfaces_any_host_name_is_answered(explorer):
    open_client = TestClient(server.create_app(explorer, "0.0.0.0"), base_url="http://192.168.1.20:8000")
    assert open_client.get("/api/info").status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9999"])
def test_a_cross_origin_post_is_refused(client, origin):
    drawing = support.encode(support.drawing("7"))
    r = client.post("/api/predict", headers={"origin": origin}, files={"image": ("d.png", drawing)})
    assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
    r = client.post(
        "/api/predict", headers={"origin": "http://127.0.0.1:8000"}, files={"image": ("d.png", drawing)}
    )
    assert r.status_code == 200


def test_all_interfaces_are_served_with_a_warning(explorer, monkeypatch, capsys):
    import uvicorn

    monkeypatch.setattr(server, "build_explorer", lambda *a, **k: explorer)
    monkeypatch.setattr(server.teach_api, "build_teacher", lambda *a, **k: None)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: None)
    server.main(["--host", "0.0.0.0", "--port", "0"])
    out = capsys.readouterr()
    assert out.err.startswith("warning: --host 0.0.0.0 opens the explorer to the network"), out.err
    assert out.out.startswith("explorer: http://0.0.0.0:")
    server.main(["--port", "0"])
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "path",
    [
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2fREADME.md",
        "/static/%2e%2e/server.py",
        "/README.md",
        "/static/",
    ],
)
def test_nothing_outside_the_static_folder_is_served(client, path):
    assert client.get(path).status_code == 404


def raw_get(url: str, path: str) -> bytes:
    """A GET with the path sent byte for byte (HTTP clients would tidy the dots away first)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return b"".join(iter(lambda: s.recv(65536), b""))


def test_dot_dot_paths_on_the_wire_get_404(explorer):
    with support.live_server(server.create_app(explorer)) as url:
        for path in ("/../README.md", "/static/../../etc/passwd", "/static/../server.py"):
            reply = raw_get(url, path)
            assert reply.startswith(b"HTTP/1.1 404"), (path, reply[:200])
        assert raw_get(url, "/static/app.js").startswith(b"HTTP/1.1 200")


def test_many_clients_at_once_are_all_answered(explorer):
    """16 clients, each with its own connection, sending drawings at once: every one answered right,
    and the server answers at once afterwards (the benchmark runs 40 clients for 20 s)."""
    import httpx

    drawing = support.encode(support.drawing("7"))

    def client(url: str) -> list:
        with httpx.Client(timeout=120) as c:
            return [c.post(url, files={"image": ("d.png", drawing)}) for _ in range(3)]

    with support.live_server(server.create_app(explorer)) as url:
        with ThreadPoolExecutor(16) as pool:
            replies = [r for rs in pool.map(client, [f"{url}/api/predict"] * 16) for r in rs]
        assert [r.status_code for r in replies] == [200] * 48
        assert {r.json()["prediction"] for r in replies} == {"7"}
        t = time.perf_counter()
        assert httpx.post(f"{url}/api/predict", files={"image": ("d.png", drawing)}).status_code == 200
        assert time.perf_counter() - t < 10


# --- starting it ---------------------------------------------------------------------------


def test_a_missing_model_says_which_command_makes_one(tmp_path):
    with pytest.raises(cli.UserError, match="task1_train_mnist.py"):
        server.build_explorer(tmp_path / "none.pt", None, tmp_path / "data")


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_one_line_before_any_loading(port, tmp_path):
    with pytest.raises(cli.UserError, match=f"--port: '{port}' is not a whole number from 0 to 65535"):
        server.main(["--port", port, "--model", str(tmp_path / "none.pt")])


def test_the_help_gives_the_upload_limits_and_the_host_rule():
    limits = f"{uploads.MAX_UPLOAD_BYTES // 2**20} MB and {uploads.UPLOAD_MAX_PIXELS / 1e6:g} megapixels"
    assert limits in " ".join(flags.__doc__.split()) and "loopback" in flags.__doc__


def test_a_transformer_as_the_model_is_refused_at_start(tmp_path):
    path = netlib.save_checkpoint(networks.build_network("transformer"), tmp_path / "transformer_cpu.pt")
    with pytest.raises(cli.UserError, match="holds a transformer network, but .* reads cnn or gabor"):
        server.build_explorer(path, None, tmp_path, greek=False)


def test_a_gabor_network_is_served_with_maps_and_greek_mode(tmp_path, request):
    """The other kind with the course's conv blocks: every endpoint answers (the transformer as
    --model is refused at start instead, never a 500)."""
    netlib.seed_everything(0)
    path = netlib.save_checkpoint(networks.build_network("gabor"), tmp_path / "gabor_net.pt")
    greek = support.greek_reference(request.config.cache.mkdir("explorer"))
    client = TestClient(
        server.create_app(server.build_explorer(path, greek, tmp_path)), base_url="http://localhost"
    )
    for endpoint in ("/api/predict", "/api/greek"):
        r = post(client, support.encode(support.drawing("2")), endpoint)
        assert r.status_code == 200 and np.array(r.json()["gradcam"]).shape == (28, 28), r.text


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(cli.UserError, match="--port"):
            server.bind("127.0.0.1", taken.getsockname()[1])


def test_it_binds_to_localhost_by_default():
    args = flags.parse_args([])
    assert args.host == "127.0.0.1" and args.port == 8000


def test_without_greek_dir_the_built_in_reference_set_is_made_in_the_data_dir(tmp_path):
    from extensions.explorer import engine

    assert flags.parse_args([]).data_dir == Path("data")
    assert flags.parse_args(["--data-dir", str(tmp_path)]).data_dir == tmp_path
    netlib.seed_everything(0)
    reference = engine.load_greek_reference(netlib.MnistNet().eval(), None, tmp_path / "letters")
    # alpha, beta, gamma, lambda, 24 images each; the reader chosen on the built-in selection writers
    assert reference.folder == tmp_path / "letters" / "greek_wide" and len(reference.files) == 96
    assert (tmp_path / "letters" / "greek_select").is_dir() and reference.chosen.selection[1] == 96
    assert reference.files[0] == "alpha/alpha_0.png"


@pytest.mark.slow
def test_the_command_prints_its_address_and_serves(request):
    cache = request.config.cache.mkdir("explorer")
    model, greek = support.trained_model(cache), support.greek_reference(cache)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "extensions.explorer",
            "--port",
            "0",
            "--model",
            str(model),
            "--greek-dir",
            str(greek),
            "--data-dir",
            str(cache),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # first, even when the selection writers are made now
        assert line.startswith("explorer: http://127.0.0.1:"), line
        url = line.split()[1]
        assert raw_get(url, "/").startswith(b"HTTP/1.1 200")
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_page_compares_every_saved_digit_network(tmp_path):
    from extensions.explorer import engine

    netlib.save_checkpoint(netlib.MnistNet(), tmp_path / "mnist_net.pt")
    assert list(engine.load_digit_networks(tmp_path / "mnist_net.pt")) == ["CNN"]
    netlib.save_checkpoint(networks.build_network("transformer"), tmp_path / "transformer_cpu.pt")
    loaded = engine.load_digit_networks(tmp_path / "mnist_net.pt")
    assert list(loaded) == ["CNN", "transformer (cpu)"]
    assert isinstance(loaded["transformer (cpu)"], networks.PatchTransformer)
