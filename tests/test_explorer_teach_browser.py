"""Teach mode in the page, as a person uses it, in headless Chromium: three examples drawn and kept,
adapt, Test me with a tap, one example deleted, and after a server restart the examples still there.
Skipped (with test_explorer_browser's message) when Playwright or Chromium is missing."""

import explorer_support as support
import pytest
from test_explorer_browser import (
    ANSWER_MS,
    ARGS,
    CAMERA,
    CHROMIUM,
    draw,
    expect_text,
    playwright_api,
    write_y4m,
)

from extensions.explorer import server


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    video = write_y4m(tmp_path_factory.mktemp("camera") / "three.y4m", "3")
    camera = CAMERA + [f"--use-file-for-fake-video-capture={video}"]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS + camera)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, request, tmp_path):
    """open_page() serves a fresh explorer with teach mode on `tmp_path` (a restart, when called
    again) and opens the page on it with teach mode shown."""
    cache = request.config.cache.mkdir("explorer")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    servers, errors = [], []

    def open_page():
        while servers:  # the previous server stops first: a restart
            servers.pop().__exit__(None, None, None)
        app = server.create_app(support.explorer(cache), teacher=support.teacher(cache, tmp_path))
        live = support.live_server(app)
        url = live.__enter__()
        servers.append(live)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(url)
        playwright_api.expect(page.locator("#teach-toggle")).to_be_enabled(timeout=ANSWER_MS)
        page.click("#teach-toggle")
        return page

    yield open_page
    shots = request.config.cache.mkdir("explorer_screens")
    for i, page in enumerate(context.pages):
        page.screenshot(path=str(shots / f"{request.node.name}_{i}.png"), full_page=True)
    context.close()
    while servers:
        servers.pop().__exit__(None, None, None)
    assert not errors, errors


def test_teach_adapt_test_delete_and_find_them_after_a_restart(open_page):
    page = open_page()
    assert page.locator("#teach").is_visible() and not page.locator("#inside").is_visible()
    for n in (1, 2, 3):  # a 7 written as one plain stroke: the base network reads a 1
        draw(page, "1")
        page.select_option("#teach-label", "7")
        page.click("#teach-keep")
        expect_text(page, "#teach-count", f"{n} example{'s' if n > 1 else ''}")
    assert page.locator("#teach-examples canvas").count() == 3
    assert page.locator("#pad").is_visible()

    draw(page, "1")
    expect_text(page, "#teach-base", "1")
    expect_text(page, "#teach-personal-note", "adapt first")
    page.click("#teach-adapt")
    playwright_api.expect(page.locator("#teach-status")).to_contain_text(
        "Adapted to 3 examples", timeout=ANSWER_MS
    )
    expect_text(page, "#teach-personal", "7")
    expect_text(page, "#teach-base", "1")

    page.click("#teach-right")  # the personal reader is the chosen one: it read a 7 right
    expect_text(page, "#teach-score", "base: 0/1 right (0%) · personal: 1/1 right (100%)")
    assert page.locator("#teach-confusion td.hit").count() == 1
    page.click("[data-reader=base]")  # one click: the base reader's confusion
    playwright_api.expect(page.locator("#teach-confusion td.miss")).to_have_count(1, timeout=ANSWER_MS)

    page.click("#teach-examples .delete >> nth=0")
    expect_text(page, "#teach-count", "2 examples")

    page = open_page()  # the server restarts; the folder and the personal reader are read back
    expect_text(page, "#teach-count", "2 examples")
    playwright_api.expect(page.locator("#teach-adapted")).to_contain_text("adapted to 3 examples")
    expect_text(page, "#teach-score", "base: 0/1 right (0%) · personal: 1/1 right (100%)")
    draw(page, "1")
    expect_text(page, "#teach-personal", "7")


def test_greek_letters_in_teach_mode_and_a_refusal_shown(open_page):
    page = open_page()
    page.click("[data-kind=greek]")
    playwright_api.expect(page.locator("#teach-label option")).to_have_count(24, timeout=ANSWER_MS)
    page.click("#teach-keep")  # nothing written yet
    playwright_api.expect(page.locator("#teach-status")).to_contain_text("first")
    draw(page, "alpha")
    page.select_option("#teach-label", "omega")
    page.fill("#teach-name", "../x")
    page.click("#teach-keep")
    playwright_api.expect(page.locator("#teach-status")).to_contain_text("is not usable", timeout=ANSWER_MS)
    page.fill("#teach-name", "ada")
    page.click("#teach-keep")
    expect_text(page, "#teach-count", "1 example")
    assert page.locator("#teach-examples figcaption").text_content() == "ω omega"


def test_keep_an_example_from_the_webcam_and_read_it(open_page):
    page = open_page()
    page.click("[data-source=webcam]")
    page.click("#camera")
    expect_text(page, "#steady", "3")  # the fake camera films a 3
    page.select_option("#teach-label", "3")
    page.click("#teach-keep")
    expect_text(page, "#teach-count", "1 example")
    page.click("#teach-read")
    expect_text(page, "#teach-base", "3")
