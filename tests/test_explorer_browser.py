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


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    video = write_y4m(tmp_path_factory.mktemp("camera") / "three.y4m", "3")
    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS + camera)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, url, request):
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


def test_greek_mode_reads_a_drawn_alpha(page):
    page.click("[data-kind=greek]")
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
