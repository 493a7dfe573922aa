"""Teach mode's API (extensions/explorer/teach_api.py) through FastAPI's test client: a person's
examples kept, the personal readers adapted and read back after a restart, Test me, and every
bad request answered 4xx with the server still serving."""

import explorer_support as support
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from extensions.explorer import server
from recognition.handwriting import glyphs
from recognition.personal import folder as personal_folder


@pytest.fixture(scope="module")
def cache(request):
    return request.config.cache.mkdir("explorer")


@pytest.fixture
def home(tmp_path):
    return tmp_path


def client_for(cache, home) -> TestClient:
    """A fresh server on `home`: what a restarted explorer sees."""
    app = server.create_app(support.explorer(cache), teacher=support.teacher(cache, home))
    return TestClient(app, base_url="http://127.0.0.1:8000")


@pytest.fixture
def client(cache, home):
    return client_for(cache, home)


def plain_seven(angle: float) -> bytes:
    """A person's 7 written as one plain stroke (the base network reads it as a 1), a little turned."""
    return support.encode(support.drawing("1").rotate(angle, fillcolor="white"))


def letter(name: str, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return support.encode(glyphs.render_glyph(name, rng, (240, 240), glyphs.OWN_STYLE))


def add(client, name, label, data: bytes):
    return client.post(
        "/api/teach/examples",
        data={"name": name, "label": label},
        files={"image": ("x.png", data, "image/png")},
    )


def predict(client, name, kind, data: bytes):
    return client.post(
        "/api/teach/predict", data={"name": name, "kind": kind}, files={"image": ("x.png", data, "image/png")}
    )


def test_teach_three_adapt_test_delete_and_restart(cache, home, client):
    for angle in (-6, 0, 6):
        r = add(client, "ada", "7", plain_seven(angle))
        assert r.status_code == 201, r.text
    assert r.json()["file"] == "7/7_2.png" and np.array(r.json()["input"]).shape == (28, 28)
    assert (home / "data" / "mine" / "ada" / "7" / "7_2.png").is_file()

    before = predict(client, "ada", "digits", plain_seven(3)).json()
    assert before["base"]["prediction"] == "1" and before["personal"] is None

    r = client.post("/api/teach/adapt", data={"name": "ada", "kind": "digits"})
    assert r.status_code == 200, r.text
    adapted = r.json()
    assert adapted["examples"] == 3 and 0 < adapted["seconds"] < 5
    assert adapted["checkpoint"].endswith("personal/ada_digits.pt")

    after = predict(client, "ada", "digits", plain_seven(3)).json()
    assert after["base"]["prediction"] == "1" and after["personal"]["prediction"] == "7"
    assert after["adapted_to"] == 3 and after["compute_ms"] > 0
    # the personal reader still reads the digits nobody taught it
    assert (
        predict(client, "ada", "digits", support.encode(support.drawing("3"))).json()["personal"][
            "prediction"
        ]
        == "3"
    )

    r = client.post("/api/teach/tests", data={"name": "ada", "truth": "7", "base": "1", "personal": "7"})
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["labels"] == ["1", "7"] and summary["tests"] == 1
    assert summary["readers"]["personal"]["right"] == 1 and summary["readers"]["base"]["right"] == 0
    assert summary["readers"]["base"]["confusion"] == [[0, 0], [1, 0]]

    r = client.delete("/api/teach/examples", params={"name": "ada", "label": "7", "file": "7_0.png"})
    assert r.status_code == 200, r.text

    restarted = client_for(cache, home)
    listing = restarted.get("/api/teach/examples", params={"name": "ada"}).json()
    assert [e["file"] for e in listing["examples"]] == ["7/7_1.png", "7/7_2.png"]
    assert listing["adapted"]["digits"] == ["7/7_0.png", "7/7_1.png", "7/7_2.png"]  # what it was adapted to
    again = predict(restarted, "ada", "digits", plain_seven(3)).json()
    assert again["personal"] == after["personal"]
    assert restarted.get("/api/teach/tests", params={"name": "ada", "kind": "digits"}).json()["tests"] == 1


def test_letters_join_the_reference_even_a_letter_it_did_not_know(cache, home, client):
    """The test reference holds alpha, beta, gamma and lambda; three omegas teach it a fifth."""
    for seed in range(3):
        assert add(client, "bo", "omega", letter("omega", seed)).status_code == 201
    assert predict(client, "bo", "letters", letter("omega", 7)).json()["personal"] is None
    r = client.post("/api/teach/adapt", data={"name": "bo", "kind": "letters"})
    assert r.status_code == 200, r.text
    assert r.json()["symbols"] == 1
    body = predict(client, "bo", "letters", letter("omega", 7)).json()
    assert body["base"]["prediction"] != "omega" and body["personal"]["prediction"] == "omega"
    assert len(body["personal"]["top"]) == 3
    restarted = client_for(cache, home)
    assert predict(restarted, "bo", "letters", letter("omega", 7)).json()["personal"] == body["personal"]


def test_teach_mode_reads_letters_where_the_greek_mode_chose(cache):
    """One choice of reader: teach mode's 1-NN sits at the layer and distance of the reader the Greek
    mode chose on the same selection writers (it used to make a choice of its own, which could differ)."""
    chosen = support.explorer(cache).greek_reference.chosen.reader
    base = support.letter_base(cache)
    assert (base.layer, base.distance) == chosen.one_nn()


@pytest.mark.parametrize("name", ["..", "../x", "a/b", "a.b", "a\\b", "x" * 33, " ada"])
def test_bad_names_are_refused_and_nothing_is_written(client, home, name):
    r = add(client, name, "7", plain_seven(0))
    assert r.status_code == 400 and "not usable" in r.json()["detail"]
    assert client.get("/api/teach/examples", params={"name": name}).status_code == 400
    assert not (home / "data").exists() or not any((home / "data").rglob("*.png"))


@pytest.mark.parametrize("label", ["digamma", "../7", "7/", "Alpha", "10"])
def test_unknown_labels_are_refused(client, label):
    r = add(client, "ada", label, plain_seven(0))
    assert r.status_code == 400 and "not a known symbol" in r.json()["detail"]


def test_over_the_cap_is_409(client, monkeypatch):
    monkeypatch.setattr(personal_folder, "MAX_PER_LABEL", 2)
    assert [add(client, "ada", "7", plain_seven(a)).status_code for a in (0, 3, 6)] == [201, 201, 409]
    assert "delete one first" in add(client, "ada", "7", plain_seven(0)).json()["detail"]
    assert add(client, "ada", "1", plain_seven(0)).status_code == 201  # another symbol still fits


def test_a_missing_example_is_404(client):
    assert add(client, "ada", "7", plain_seven(0)).status_code == 201
    for params in ({"label": "7", "file": "7_5.png"}, {"label": "3", "file": "3_0.png"}):
        r = client.delete("/api/teach/examples", params={"name": "ada", **params})
        assert r.status_code == 404 and "no example" in r.json()["detail"]
    r = client.delete("/api/teach/examples", params={"name": "ada", "label": "7", "file": "../7_0.png"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "path, data, status, says",
    [
        ("/api/teach/adapt", {"name": "nobody", "kind": "digits"}, 409, "no examples of digits"),
        ("/api/teach/adapt", {"name": "ada", "kind": "runes"}, 400, "kind 'runes' is not known"),
        ("/api/teach/adapt", {"kind": "digits"}, 400, "no name"),
        ("/api/teach/tests", {"name": "ada", "truth": "7", "base": "alpha"}, 400, "is not a digit"),
        ("/api/teach/tests", {"name": "ada", "truth": "7"}, 400, "no base"),
        ("/api/teach/predict", {"name": "ada", "kind": "digits"}, 400, "no file"),
        ("/api/teach/examples", {"name": "ada", "label": "7"}, 400, "no file"),
    ],
)
def test_bad_requests_get_a_4xx_saying_what_to_do(client, path, data, status, says):
    r = client.post(path, data=data)
    assert r.status_code == status and says in r.json()["detail"], r.text
    assert client.get("/api/info").status_code == 200  # and the server carries on


def test_a_bad_upload_is_refused_before_anything_is_kept(client, home):
    blank = support.encode(Image.new("RGB", (100, 100), "white"))
    assert add(client, "ada", "7", blank).status_code == 422
    assert add(client, "ada", "7", b"not an image").status_code == 400
    assert client.get("/api/teach/examples", params={"name": "ada"}).json()["examples"] == []


def test_another_sites_page_can_neither_keep_nor_delete(client, home):
    assert add(client, "ada", "7", plain_seven(0)).status_code == 201
    evil = {"origin": "http://evil.example"}
    files = {"image": ("x.png", plain_seven(0), "image/png")}
    r = client.post("/api/teach/examples", data={"name": "ada", "label": "7"}, files=files, headers=evil)
    assert r.status_code == 403
    params = {"name": "ada", "label": "7", "file": "7_0.png"}
    assert client.delete("/api/teach/examples", params=params, headers=evil).status_code == 403
    assert (
        client.post("/api/teach/adapt", data={"name": "ada", "kind": "digits"}, headers=evil).status_code
        == 403
    )
    assert sorted(p.name for p in (home / "data" / "mine" / "ada" / "7").iterdir()) == ["7_0.png"]
    assert not (home / "models" / "personal").exists()


def test_an_oversized_upload_is_413_and_nothing_is_kept(client, home):
    big = b"\x89PNG" + bytes(11 * 2**20)
    r = client.post(
        "/api/teach/examples",
        data={"name": "ada", "label": "7"},
        files={"image": ("x.png", big, "image/png")},
    )
    assert r.status_code == 413
    assert not (home / "data" / "mine").exists()


def test_an_unwritable_folder_is_507_with_the_fix(cache, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mine").write_text("a file where the folders should go")
    r = add(client_for(cache, tmp_path), "ada", "7", plain_seven(0))
    assert r.status_code == 507 and "writable" in r.json()["detail"]


@pytest.mark.parametrize("kind, label, data", [("digits", "7", plain_seven(0)), ("letters", "omega", None)])
def test_a_personal_reader_that_cannot_be_saved_is_507(client, home, kind, label, data):
    assert add(client, "ada", label, data or letter("omega", 0)).status_code == 201
    (home / "models" / "personal").write_text("a file where the folder should go")
    r = client.post("/api/teach/adapt", data={"name": "ada", "kind": kind})
    assert r.status_code == 507 and "cannot save the personal reader" in r.json()["detail"], r.text
    assert client.get("/api/teach/examples", params={"name": "ada"}).json()["adapted"] == {}
