"""The explorer page as a person uses it: headless Chromium (Debian's package) driven by Playwright.

Draw with mouse strokes, upload a photo, switch to Greek letters, and film a digit with
Chromium's fake camera fed from a video file made here. Screenshots of each step are kept in
.pytest_cache/d/explorer_screens/ for a person to look at.
"""

import shutil
from pathlib import Path

import explorer_support as support
import numpy as np
import pytest
from PIL import Image

from extensions.explorer import server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER_MS = 20_000  # a loaded 2-core machine can take seconds per answer

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not Path(CHROMIUM).is_file():
    pytest.skip(
        "Chromium is missing: install it with `sh scripts/install_chromium.sh` (apt-get install chromium)",
        allow_module_level=True,
    )


def write_y4m(path: Path, symbol: str, frames: int = 20, size=(320, 240)) -> Path:
    """A short greyscale video (YUV 4:2:0) of `symbol` written on paper, held a little unsteadily."""
    w, h = size
    rng = np.random.default_rng(0)
    glyph = support.drawing(symbol).convert("L").resize((150, 150), Image.LANCZOS)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            paper = Image.new("L", size, 215)
            dx, dy = rng.integers(-4, 5, size=2)
            paper.paste(glyph, ((w - 150) // 2 + int(dx), (h - 150) // 2 + int(dy)))
            luma = np.asarray(paper, np.float32) * 0.95 + rng.normal(0, 3, (h, w))
            f.write(b"FRAME\n" + np.clip(luma, 0, 255).astype(np.uint8).tobytes())
            f.write(bytes([128]) * (2 * (w // 2) * (h // 2)))  # no colour
    return path


@pytest.fixture(scope="module")
def url(request):
    explorer = support.explorer(request.config.cache.mkdir("explorer"))
    with support.live_server(server.create_app(explorer)) as address:
        yield address


CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright, tmp_path_factory):
    video = write_y4m(tmp_path_factory.mktemp("camera") / "three.y4m", "3")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=ARGS + CAMERA + [f"--use-file-for-fake-video-capture={video}"]
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser, url, request):
    yield from open_page(browser, url, request)


def open_page(browser, url, request):
    """A fresh page at `url` that fails its test on a JavaScript error; its screenshot is kept."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url)
    yield page
    shots = request.config.cache.mkdir("explorer_screens")
    page.screenshot(path=str(shots / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, errors


def draw(page, symbol: str) -> None:
    """Mouse strokes over the pad, as a person draws (the pad is 280 CSS px, as the strokes)."""
    box = page.locator("#pad").bounding_box()
    for stroke in support.STROKES[symbol]:
        points = support.densify(stroke, step=12)
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()


def expect_text(page, selector: str, text: str) -> None:
    playwright_api.expect(page.locator(selector)).to_have_text(text, timeout=ANSWER_MS)


def test_the_page_loads_readable(page):
    assert "Digit explorer" in page.title()
    for selector in ("#pad", "#undo", "#clear", "[data-source=upload]", "[data-kind=greek]"):
        assert page.locator(selector).is_visible()
    assert page.locator("#prediction-note").text_content() == "Draw something to start"


def test_the_upload_panel_shows_no_image_before_an_upload(page):
    page.click("[data-source=upload]")
    assert page.locator("#drop").is_visible() and not page.locator("#preview").is_visible()
    assert page.locator("#preview").bounding_box() is None  # no broken-image icon


def test_tabs_and_the_file_chooser_work_from_the_keyboard(page, tmp_path):
    tabs = page.locator("[role=tab]")
    for i in range(tabs.count()):
        tab = tabs.nth(i)
        panel = page.locator(f"#{tab.get_attribute('aria-controls')}")
        assert panel.get_attribute("role") == "tabpanel"
        assert panel.get_attribute("aria-labelledby") == tab.get_attribute("id")
    page.focus("[data-source=draw]")
    page.keyboard.press("ArrowRight")
    assert page.locator("[data-source=upload]").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.dataset.source") == "upload"
    assert page.locator("#upload-panel").is_visible() and not page.locator("#draw-panel").is_visible()
    for _ in range(4):  # past the chosen kind to the file input
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "file":
            break
    assert page.evaluate("document.activeElement.id") == "file"
    ring = page.eval_on_selector(
        "#drop", "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )
    assert ring == "solid 3px", ring
    photo = tmp_path / "four.png"
    support.drawing("4").save(photo)
    with page.expect_file_chooser(timeout=5000) as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(photo))
    expect_text(page, "#prediction", "4")
    page.focus("[data-kind=digits]")
    page.keyboard.press("ArrowRight")
    assert page.locator("[data-kind=greek]").get_attribute("aria-checked") == "true"
    page.keyboard.press("Home")
    assert page.locator("[data-kind=digits]").get_attribute("aria-checked") == "true"


def test_every_canvas_has_a_label(page):
    draw(page, "7")
    expect_text(page, "#prediction", "7")
    labels = page.eval_on_selector_all("canvas", "cs => cs.map(c => c.getAttribute('aria-label'))")
    assert len(labels) == 1 + 4 + 10 + 20 and all(labels), labels
    assert "Conv block 2, feature map 19" in labels


def test_feature_maps_are_numbered_from_0_as_in_the_report(page):
    draw(page, "1")
    expect_text(page, "#prediction", "1")
    for block, last in (("#block1", "9"), ("#block2", "19")):
        captions = page.locator(f"{block} figcaption").all_text_contents()
        assert captions[0] == "0" and captions[-1] == last


def test_the_page_says_how_to_read_the_attributions(page):
    text = page.locator("#how-to-read").text_content()
    assert "raised the answer's" in text and "Grad-CAM" in text and "red over the" in text


def test_a_28x28_upload_is_previewed_enlarged_and_sharp(page, tmp_path):
    crop = tmp_path / "crop.png"
    support.drawing("4", 28).save(crop)
    page.click("[data-source=upload]")
    page.set_input_files("#file", str(crop))
    playwright_api.expect(page.locator("#preview")).to_have_class("small", timeout=ANSWER_MS)
    box = page.locator("#preview").bounding_box()
    assert box["width"] >= 200 and box["width"] == box["height"], box
    assert page.eval_on_selector("#preview", "e => getComputedStyle(e).imageRendering") == "pixelated"


def test_draw_a_7_then_a_3(page):
    draw(page, "7")
    expect_text(page, "#prediction", "7")
    expect_text(page, "#networks .bar-row .label >> nth=0", "7")
    assert "ms networks and maps" in page.locator("#status").text_content()
    page.click("#clear")
    expect_text(page, "#prediction", "–")
    draw(page, "3")
    expect_text(page, "#prediction", "3")
    assert page.locator("#block1 canvas").count() == 10 and page.locator("#block2 canvas").count() == 20


def test_undo_takes_back_the_last_stroke(page):
    draw(page, "1")
    expect_text(page, "#prediction", "1")
    draw(page, "7")  # a 7 over the 1
    page.click("#undo")
    expect_text(page, "#prediction", "1")
    page.click("#undo")
    expect_text(page, "#prediction", "–")


def test_upload_a_photo(page, tmp_path):
    photo = tmp_path / "four.jpg"
    support.photo("4").save(photo, quality=90)
    page.click("[data-source=upload]")
    page.set_input_files("#file", str(photo))
    expect_text(page, "#prediction", "4")
    assert page.locator("#preview").is_visible()


def test_a_blank_upload_says_no_ink(page, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    page.click("[data-source=upload]")
    page.set_input_files("#file", str(blank))
    playwright_api.expect(page.locator("#status")).to_contain_text("No ink found", timeout=ANSWER_MS)
    assert page.locator("#prediction-note").text_content() == "No digit found"


@pytest.fixture(scope="module")
def two_networks_url(request, tmp_path_factory):
    """A server comparing the test CNN with a transformer that reads every image as a 1."""
    import torch

    import netlib
    from recognition import networks

    folder = tmp_path_factory.mktemp("two_networks")
    cnn, _ = netlib.load_checkpoint(support.trained_model(request.config.cache.mkdir("explorer")))
    netlib.save_checkpoint(cnn, folder / "mnist_net.pt")
    ones = networks.build_network("transformer")
    with torch.no_grad():
        ones.fc2.weight.zero_()
        ones.fc2.bias.copy_(torch.eye(10)[1] * 10)
    netlib.save_checkpoint(ones, folder / "transformer_cpu.pt")
    explorer = server.build_explorer(folder / "mnist_net.pt", None, folder, greek=False)
    with support.live_server(server.create_app(explorer)) as address:
        yield address


def test_the_page_says_when_the_networks_disagree(browser, two_networks_url, request):
    for page in open_page(browser, two_networks_url, request):
        draw(page, "7")
        expect_text(page, "#prediction", "7")
        note = "The networks disagree: the CNN reads 7, the transformer (cpu) reads 1."
        expect_text(page, "#disagree", note)
        page.click("#clear")
        draw(page, "1")
        expect_text(page, "#prediction", "1")
        playwright_api.expect(page.locator("#disagree")).to_be_hidden()


@pytest.fixture(scope="module")
def compare_url(request, tmp_path_factory):
    """A server as `make demo` starts it after Task 1: the CNN with a trained transformer beside it."""
    cache = request.config.cache.mkdir("explorer")
    folder = tmp_path_factory.mktemp("compare")
    shutil.copy(support.trained_model(cache), folder / "mnist_net.pt")
    shutil.copy(support.trained_transformer(cache), folder / "transformer_cpu.pt")
    explorer = server.build_explorer(folder / "mnist_net.pt", support.greek_reference(cache), folder)
    with support.live_server(server.create_app(explorer)) as address:
        yield address


@pytest.mark.slow  # trains the transformer once (minutes), then it is cached
def test_docs_picture_a_drawn_9_read_by_both_networks(browser, compare_url, request):
    """The page of docs/explorer.png: copy .pytest_cache/d/explorer_screens/docs_explorer.png there."""
    for page in open_page(browser, compare_url, request):
        draw(page, "9")
        expect_text(page, "#prediction", "9")
        playwright_api.expect(page.locator("#networks .network")).to_have_count(2)
        assert page.locator("#networks h3").all_text_contents() == ["CNN: top 3", "transformer (cpu): top 3"]
        assert page.locator("#disagree").is_hidden()
        shots = request.config.cache.mkdir("explorer_screens")
        page.screenshot(path=str(shots / "docs_explorer.png"))


def test_greek_mode_reads_a_drawn_alpha(page, request):
    page.click("[data-kind=greek]")
    assert page.locator("h1").text_content() == "Greek letter explorer" and "Greek" in page.title()
    about = page.locator("#greek-about").text_content()
    letters = support.explorer(request.config.cache.mkdir("explorer")).greek_reference.letters
    assert f"It knows {len(letters)} letters: α alpha, β beta" in about and all(x in about for x in letters)
    assert "--greek-dir" in about and "greek_train" in about
    draw(page, "alpha")
    expect_text(page, "#prediction", "α")
    assert page.locator("#greek-results").is_visible()
    assert page.locator("#classifiers tr").count() == 5
    assert page.locator("#neighbours li").count() == 5


def test_webcam_gives_a_steady_answer(page):
    page.click("[data-source=webcam]")
    page.click("#camera")
    expect_text(page, "#steady", "3")
    assert page.locator("#camera").text_content() == "Stop camera"


@pytest.fixture
def plain_camera_page(playwright, url, request):
    """A page in a Chromium whose fake camera films its own test pattern: no symbol in view."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + CAMERA)
    yield from open_page(browser, url, request)
    browser.close()


def test_webcam_with_no_symbol_in_view_says_so(plain_camera_page):
    page = plain_camera_page
    page.click("[data-source=webcam]")
    page.click("#camera")
    expect_text(page, "#steady", "no symbol in view")
    page.wait_for_timeout(3000)  # a dozen frames later, still no digit claimed
    assert page.locator("#steady").text_content() == "no symbol in view"
    assert page.locator("#prediction").text_content() == "–"
