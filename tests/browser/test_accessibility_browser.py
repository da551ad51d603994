"""Every panel page in Chromium at 375 and 1280 px: axe-core, tap targets, the phone's width.

axe-core comes with the axe-playwright-python test dependency (its axe.min.js, injected
by Playwright): nothing is downloaded at run time. The pages hold the sample data of
bench/sample_panel.py, on a panel that is also a town (it has villages), each opened by
the least role that may see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from bench.sample_panel import ADMIN, OPERATOR, REVIEWER, log_in, sample_panel
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from web import create_app

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

ANONYMOUS = ""
# Every page of the panel and who opens it; the sample station's first playlist,
# schedule entry and screen have the id 1 and the name led-bar.
PAGES = {
    "/login": ANONYMOUS,
    "/": OPERATOR,
    "/password": OPERATOR,
    "/account/tokens": ADMIN,
    "/announcements": OPERATOR,
    "/playlists": OPERATOR,
    "/playlists/1": OPERATOR,
    "/schedule": OPERATOR,
    "/schedule/new": OPERATOR,
    "/schedule/1/edit": OPERATOR,
    "/schedule/1/remove": OPERATOR,
    "/review": REVIEWER,
    "/plan": OPERATOR,
    "/asrun": OPERATOR,
    "/asrun/report": OPERATOR,
    "/evidence": OPERATOR,
    "/system": OPERATOR,
    "/screens": OPERATOR,
    "/screen/led-bar": ANONYMOUS,  # the kiosk page an LED screen's browser shows
    "/fleet": REVIEWER,
    "/fleet/report": REVIEWER,
    "/fleet/playlists": REVIEWER,
    "/fleet/evidence": REVIEWER,
    "/users": ADMIN,
    "/audit": ADMIN,
}
# GET routes that answer something other than a page, by endpoint.
NOT_PAGES = {
    "set_language": "a redirect back to the page it was chosen on",
    "static": "CSS, scripts and the OpenAPI file",
    "media_files.serve": "audio and pictures",
    "screens.slide": "a slide's PNG",
    "screens.state": "the kiosk page's JSON",
    "screens_preview.sizes_css": "CSS",
    "asrun.export_csv": "CSV",
    "audit.export_csv": "CSV",
    "fleet.report_csv": "CSV",
    "evidence.original": "a photo or video",
    "evidence.thumbnail": "a picture",
    "evidence.export": "a zip",
    "evidence.upload_state": "an upload's JSON",
    "fleet_evidence.original": "a photo or video",
    "fleet_evidence.thumbnail": "a picture",
    "fleet_evidence.export": "a zip",
    # Pages of a town with a broker and a sent emergency, which the sample station is not:
    # axe checks them in tests/browser/test_town_emergency_browser.py.
    "town_emergency.index": "a town's page (axe-checked with the town's live table)",
    "town_emergency.show": "a town's page (axe-checked with the town's live table)",
}
NOT_PAGE_PREFIXES = (
    "api.",
    "api_content.",
    "town_api.",
    "town_evidence_api.",
    "town_emergency_api.",
)
WIDTHS = {"phone-375": (375, 812), "desktop-1280": (1280, 800)}
SERIOUS = ("serious", "critical")

# Each visible control smaller than 44 × 44 px; a checkbox or radio counts with its label.
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll(
      'a[href], button, summary, input:not([type=hidden]), select, textarea')) {
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.closest('label') || document.querySelector(`label[for="${el.id}"]`) || el;
    }
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // closed <details>, hidden
    if (box.width < 43.5 || box.height < 43.5) {
      const text = (el.textContent || el.value || el.name || '').trim().slice(0, 30);
      const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${text}" ${size}`);
    }
  }
  return small;
}"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings, Store]]:
    with sample_panel(tmp_path_factory.mktemp("sample") / "data") as served:
        yield served


@pytest.fixture(scope="module")
def pages(browser: Any, sample: tuple[str, Settings, Store]) -> Iterator[dict[Any, Any]]:
    """One logged-in browser page per user and width, opened when first asked for."""
    opened: dict[tuple[str, str], Any] = {}
    contexts = []

    def page_for(user: str, width: str) -> Any:
        if (user, width) not in opened:
            w, h = WIDTHS[width]
            context = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN")
            contexts.append(context)
            page = context.new_page()
            if user:
                log_in(page, sample[0], user)
            opened[user, width] = page
        return opened[user, width]

    yield {"page_for": page_for}
    for context in contexts:
        context.close()


def axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:5]]} {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def open_page(pages: dict[str, Any], url: str, path: str, width: str) -> Any:
    page = pages["page_for"](PAGES[path], width)
    response = page.goto(url + path)
    assert response is not None and response.status == 200, path
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_problem(
    pages: dict[str, Any], sample: tuple[str, Settings, Store], path: str, width: str
) -> None:
    page = open_page(pages, sample[0], path, width)
    assert axe_problems(page) == []


@pytest.mark.parametrize("path", [p for p in PAGES if not p.startswith("/screen/")])
def test_every_control_is_a_thumb_wide_and_the_page_fits_a_phone(
    pages: dict[str, Any], sample: tuple[str, Settings, Store], path: str
) -> None:
    page = open_page(pages, sample[0], path, "phone-375")
    assert page.evaluate(SMALL_TARGETS) == []
    assert page.evaluate(FITS_WIDTH), "the page scrolls sideways at 375 px"
    if page.locator("details.account-menu").count():
        page.click("details.account-menu > summary")
        assert page.evaluate(SMALL_TARGETS) == []


def test_the_menu_is_one_row_on_a_phone_and_shows_the_current_page(
    pages: dict[str, Any], sample: tuple[str, Settings, Store]
) -> None:
    page = open_page(pages, sample[0], "/audit", "phone-375")
    nav = page.locator("nav.main-nav")
    assert nav.bounding_box()["height"] <= 48  # was three rows, 140 px
    assert page.locator("header.site-header").bounding_box()["height"] <= 96
    current = page.locator("nav.main-nav [aria-current=page]")
    box, viewport = current.bounding_box(), page.viewport_size
    assert box["x"] >= -1 and box["x"] + box["width"] <= viewport["width"] + 1  # scrolled to


def test_log_out_sits_in_the_account_menu_apart_from_its_links(
    pages: dict[str, Any], sample: tuple[str, Settings, Store]
) -> None:
    """Keyboard only: Tab to the user's name, Enter opens the menu, Tab reaches 退出登录."""
    page = open_page(pages, sample[0], "/announcements", "phone-375")
    logout = page.get_by_role("button", name="退出登录")
    assert not logout.is_visible()
    page.focus("details.account-menu > summary")
    page.keyboard.press("Enter")
    assert logout.is_visible()
    assert axe_problems(page) == []
    tokens = page.locator(".account-links a").last.bounding_box()
    assert logout.bounding_box()["y"] - (tokens["y"] + tokens["height"]) >= 16
    for _ in range(2):  # 我的账号, then 退出登录
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "退出登录"
    page.keyboard.press("Escape")


@pytest.mark.parametrize("path", ["/asrun/report", "/fleet/report", "/fleet"])
def test_names_in_reports_stay_whole_on_a_phone(
    pages: dict[str, Any], sample: tuple[str, Settings, Store], path: str
) -> None:
    """A playlist or village name keeps a line's width: never one letter a line."""
    page = open_page(pages, sample[0], path, "phone-375")
    assert page.evaluate(FITS_WIDTH)
    narrowest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('td')]
                 .filter(td => td.textContent.trim().length > 3)
                 .map(td => td.getBoundingClientRect().width))"""
    )
    assert narrowest >= 200


def test_the_page_list_covers_every_get_route(settings: Settings, store: Store) -> None:
    """A new page cannot be forgotten: each GET route is in PAGES or said not to be a page."""
    app: Flask = create_app(settings, store)
    adapter = app.url_map.bind("localhost")
    listed = {adapter.match(path)[0] for path in PAGES}
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    pages = {e for e in routes if e not in NOT_PAGES and not e.startswith(NOT_PAGE_PREFIXES)}
    assert pages == listed
    assert set(NOT_PAGES) <= routes  # no stale entry hides a removed route
