"""The web console in a real headless Chromium (Debian's, scripts/deps/chromium.sh) against the
whole system: the gateway and every stage as processes on the real Kafka and S3 servers
(:class:`tests.e2e.system.System`), with API keys on.

One user's way through it: sign in with a key (kept in sessionStorage only), upload a real video
straight to the store (presigned PUT, progress bar), start a job from the form (choices read
from GET /v1/options), watch it on the jobs page, then see its picks (every contact-sheet image
loads; they are the API's picks, in order), the timeline, the map (hover shows a frame), the
coverage curve, and download an export that its format's loader reads. Each page is captured to
docs/console/*.png (docs/console.md shows them). Playwright for Python drives the system
browser through ``executable_path``; no browser is downloaded.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from farpoint.auth import KeyRegistry
from farpoint.store import S3Store
from tests.data import bikes_small
from tests.e2e.system import ROOT, STAGES, System, system_on_infra

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = os.environ.get("FARPOINT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("FARPOINT_CONSOLE_SHOTS", ROOT / "docs" / "console"))
K = 12


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[System]:
    def keys_on(sysm: System) -> None:
        sysm.env["FARPOINT_SECURITY__AUTH_ENABLED"] = "true"  # the console signs in with a key

    with system_on_infra(request, "console-system", keys_on) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no browser at {CHROMIUM}: run scripts/deps/chromium.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def wait_true(page: Any, expression: str, timeout_s: float) -> None:
    """Poll ``expression`` in the page until true. Playwright's ``wait_for_function`` polls by
    evaluating the string inside the page, which the console's CSP (no 'unsafe-eval') refuses
    whenever the first check is false; ``page.evaluate`` runs through the DevTools protocol."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s} s: {expression}")
        page.wait_for_timeout(100)


def test_console_login_upload_job_picks_export(
    system: System, browser: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    store = S3Store.from_settings(system.settings().s3)
    # a tenant of its own: the records database outlives the run's bucket
    tenant = f"console-{uuid.uuid4().hex[:8]}"
    token, _ = KeyRegistry(store).create(tenant, "writer", "console test")
    auth = {"Authorization": f"Bearer {token}"}
    base = system.gateway_url
    SHOTS.mkdir(parents=True, exist_ok=True)

    ctx = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    expect.set_options(timeout=30_000)

    # -- login: a wrong key is refused, the right one is kept in sessionStorage only
    page.goto(f"{base}/console")
    expect(page.locator("#login-form")).to_be_visible()
    page.screenshot(path=str(SHOTS / "login.png"))
    page.fill("#api-key", "fp_not-a-key")
    page.click("#sign-in")
    expect(page.locator("#flash")).to_contain_text("refused")
    page.fill("#api-key", token)
    page.click("#sign-in")
    page.wait_for_url("**/console/#/media")
    expect(page.locator("#media-table")).to_contain_text("No media yet")
    assert page.evaluate("sessionStorage.getItem('farpoint.apiKey')") == token
    assert page.evaluate("localStorage.length") == 0 and page.context.cookies() == []

    # -- upload a real video straight to the store, with a progress bar
    video = bikes_small()
    page.set_input_files("#file", str(video))
    row = page.locator(".upload-row.uploaded")
    expect(row).to_have_count(1, timeout=60_000)
    expect(row.locator(".progress i")).to_have_attribute("style", "width: 100%;")
    media_id = row.get_attribute("data-media-id")
    assert media_id
    expect(page.locator("#media-table")).to_contain_text(video.name)
    listed = httpx.get(f"{base}/v1/media", headers=auth, timeout=30).json()["items"]
    assert [(m["id"], m["size"]) for m in listed] == [(media_id, video.stat().st_size)]
    page.screenshot(path=str(SHOTS / "media.png"), full_page=True)

    # -- the job form: choices from the registries, defaults preselected
    page.click("a[data-nav=new]")
    expect(page.locator("#job-form")).to_be_visible()
    options = httpx.get(f"{base}/v1/options", headers=auth, timeout=30).json()
    methods = page.locator("#f-method option").all_inner_texts()
    assert methods == [m["name"] for m in options["methods"]]
    assert page.input_value("#f-method") == options["default_method"]
    assert page.input_value("#f-embedder") == options["default_embedder"]
    page.check(f"input[name=media][value='{media_id}']")
    page.fill("#f-k", str(K))
    page.select_option("#f-embedder", "pixels")  # fast on 2 CPU cores; the flow is the point
    page.select_option("#f-normalize", "pca")
    page.click("details.adv summary")
    page.fill("#f-fps", "5")
    page.fill("#f-width", "64")
    page.screenshot(path=str(SHOTS / "new-job.png"), full_page=True)
    page.click("#submit-job")
    page.wait_for_url("**/console/#/jobs/*")
    job_id = page.url.rsplit("/", 1)[-1]

    # -- the jobs page polls progress per stage until the job is done
    page.click("a[data-nav=jobs]")
    job_row = page.locator(f"tr[data-job='{job_id}']")
    expect(job_row).to_be_visible()
    expect(job_row.locator(".stage")).to_have_count(len(STAGES))
    page.screenshot(path=str(SHOTS / "jobs-running.png"), full_page=True)
    expect(job_row.locator(".badge")).to_have_text("succeeded", timeout=300_000)
    expect(job_row.locator(".stage.done")).to_have_count(len(STAGES))
    page.screenshot(path=str(SHOTS / "jobs.png"), full_page=True)

    # -- the result: contact sheet (every image loads), timeline, map, coverage, exports
    job_row.click()
    sheet = page.locator("#sheet figure")
    expect(sheet).to_have_count(K, timeout=60_000)
    wait_true(
        page,
        "[...document.querySelectorAll('#sheet img')].every(i => i.complete && i.naturalWidth > 0)",
        30,
    )
    widths = page.eval_on_selector_all("#sheet img", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == K and min(widths) > 0
    api_items = httpx.get(f"{base}/v1/jobs/{job_id}/result", headers=auth, timeout=30).json()
    ranks = [int(r) for r in sheet.evaluate_all("els => els.map(e => e.dataset.rank)")]
    assert ranks == [i["rank"] for i in api_items["items"]]
    captions = sheet.locator(".meta").all_inner_texts()
    frames = [f"frame {i['frame_index']}" for i in api_items["items"]]
    assert [c.endswith(f) for c, f in zip(captions, frames, strict=True)] == [True] * K
    dists = sheet.locator(".dist").all_inner_texts()
    assert dists[0] == "first" and all(d.startswith("d ") for d in dists[1:])
    expect(page.locator(f"svg.tl[data-media='{media_id}'] g.tick")).to_have_count(K)
    expect(page.locator("path.curve-selection")).to_have_count(1)
    expect(page.locator("path.curve-random")).to_have_count(1)

    canvas = page.locator(".map-wrap canvas")
    n_frames = httpx.get(f"{base}/v1/jobs/{job_id}/map", headers=auth, timeout=60).json()
    assert canvas.get_attribute("data-points") == str(len(n_frames["points"]["row"]))
    assert canvas.get_attribute("data-picks") == str(K)
    # zoom with the wheel, then hover a pick: the tooltip shows its frame
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(canvas).not_to_have_attribute("data-zoom", "1.00")
    page.click(".map-tools button:has-text('Reset')")
    expect(canvas).to_have_attribute("data-zoom", "1.00")
    box = canvas.bounding_box()
    assert box is not None
    first = n_frames["picks"][0]
    sx, sy = page.evaluate(  # where the map draws the first pick, in the canvas's pixels
        "([x, y]) => document.querySelector('.map-wrap canvas').farpointMap.toScreen(x, y)",
        [first["x"], first["y"]],
    )
    page.mouse.move(box["x"] + sx, box["y"] + sy)
    expect(page.locator("#tip")).to_be_visible()
    expect(page.locator("#tip")).to_contain_text(f"#{first['rank'] + 1}")
    wait_true(
        page,
        "(() => { const i = document.querySelector('#tip img'); "
        "return !!(i && i.complete && i.naturalWidth > 0); })()",
        30,
    )
    # a frame that is not a pick comes from the authenticated frames route
    frame = httpx.get(f"{base}/v1/jobs/{job_id}/frames/0", headers=auth, timeout=30)
    assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "result.png"), full_page=True)

    # -- every export format has a button; COCO downloads and loads with pycocotools
    buttons = page.locator("#exports button").evaluate_all("els => els.map(e => e.dataset.format)")
    assert buttons == [f["name"] for f in options["formats"]]
    with page.expect_download() as dl:
        page.click("#exports button[data-format=coco]")
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(saved)
    assert saved.name == f"{job_id}-coco.json"
    from pycocotools.coco import COCO

    coco = COCO(str(saved))
    images = coco.loadImgs(coco.getImgIds())
    assert len(images) == K
    assert sorted(json.dumps(im).count(media_id) > 0 for im in images) == [True] * K

    # -- signing out forgets the key
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('farpoint.apiKey')") is None
    assert errors == []
    ctx.close()
    for name in ("login", "media", "new-job", "jobs-running", "jobs", "result"):
        assert (SHOTS / f"{name}.png").stat().st_size > 5_000
