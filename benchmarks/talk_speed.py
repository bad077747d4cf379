"""Every talk page's time to render in presenter mode, in Chromium, after the warm-up.

    python -m benchmarks.talk_speed [--cache DIR] [--no-warmup] [--cold-browser]

Starts ``streamlit run dashboard/Home.py`` on the synthetic demo data with the run store in
``--cache`` (default: $PNEUMOLAB_CACHE, else a new empty folder: then the pages that need runs
say so instead of showing them). One browser session opens Home and presses "Warm up for the
talk" (unless --no-warmup); then, for each page of ``dashboard.app.pages.TALK`` in order, a new
tab of the same browser (a new Streamlit session; the browser's cache holds Streamlit's
frontend, as it does for a speaker who opened the app before) opens ``/<page>?present=1`` and
the clock runs until the page's script has finished and its key content
(``.st-key-slide_key``) is on screen: that includes starting Streamlit's frontend in the tab.
``--cold-browser`` opens each page in a fresh browser context instead (empty cache: the
frontend's scripts are downloaded and compiled again, seconds on their own). Then one tab walks
the talk as the speaker does, PageDown after PageDown, and the clock runs from the key press to
the next page's script done. The goal: every page under 1 s.

Prints one line per page and the 1-minute load average before and after (the machine may be
shared: read the times against it).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchmarks.browser import launch_chromium, running_app, url_path, wait_for_page  # noqa: E402
from dashboard.app.pages import TALK  # noqa: E402

GOAL_S = 1.0
VIEWPORT = {"width": 1280, "height": 720}
WARMUP_TIMEOUT_S = 1800
# the script has finished (idle, connected) and the slide's key content is drawn
READY = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && document.querySelector('.st-key-slide_key') !== null
        && document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]') === null;
}"""


def warm_up(speaker, url: str) -> float:
    """Press Home's warm-up button and wait for its summary; the seconds it took."""
    page = speaker.new_page()
    page.goto(url)
    wait_for_page(page)
    started = time.perf_counter()
    page.get_by_test_id("stMain").get_by_role("button", name="Warm up for the talk").click()
    page.get_by_text("Warm-up:", exact=False).first.wait_for(timeout=WARMUP_TIMEOUT_S * 1000)
    seconds = time.perf_counter() - started
    print(page.locator('[data-testid="stExpander"]').first.inner_text()[:3000])
    page.close()
    return seconds


def time_page(speaker, url: str, path: str, cold: bool, timeout_s: float = 120) -> float:
    """Seconds from asking for the page in a new tab of the speaker's browser (a new session) to
    its script done and key content shown; ``cold``: in a fresh context, with nothing cached."""
    context = speaker.browser.new_context(viewport=VIEWPORT) if cold else speaker
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(f"{url}/{path}?present=1", wait_until="commit")
        deadline = started + timeout_s
        while time.perf_counter() < deadline:
            if page.evaluate(READY):
                return time.perf_counter() - started
            page.wait_for_timeout(20)
        raise TimeoutError(f"{path} was not ready within {timeout_s:.0f} s")
    finally:
        (context if cold else page).close()


def walk_talk(speaker, url: str, timeout_s: float = 120) -> dict[str, float]:
    """Seconds from PageDown to the next page drawn, in one tab in presenter mode."""
    page = speaker.new_page()
    page.goto(f"{url}/{url_path(TALK[0])}?present=1")
    wait_for_page(page)
    times = {}
    for index, info in enumerate(TALK[1:], start=2):
        wanted = f"{index} / {len(TALK)} · {info.title}"
        started = time.perf_counter()
        page.keyboard.press("PageDown")
        while time.perf_counter() - started < timeout_s:
            shown = page.locator(".st-key-presenter_position").inner_text().strip()
            if shown == wanted and page.evaluate(READY):
                break
            page.wait_for_timeout(20)
        else:
            raise TimeoutError(f"{info.title} was not ready within {timeout_s:.0f} s of PageDown")
        times[url_path(info)] = time.perf_counter() - started
    page.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=os.environ.get("PNEUMOLAB_CACHE"))
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--cold-browser", action="store_true", help="a fresh browser per page")
    args = parser.parse_args()
    cache = args.cache or tempfile.mkdtemp(prefix="talk-speed-")
    from playwright.sync_api import sync_playwright

    print(f"cache {cache}; load average before: {os.getloadavg()[0]:.2f}")
    with running_app({"PNEUMOLAB_DATA": "synthetic"}, cache) as url, sync_playwright() as pw:
        # the speaker's browser: one context, whose tabs share the HTTP cache
        speaker = launch_chromium(pw).new_context(viewport=VIEWPORT)
        if not args.no_warmup:
            print(f"warm-up: {warm_up(speaker, url):.1f} s")
        times = {}
        print("page                                  new tab   PageDown")
        for info in TALK:
            times[url_path(info)] = time_page(speaker, url, url_path(info), args.cold_browser)
        walked = walk_talk(speaker, url)
        for index, info in enumerate(TALK, start=1):
            path = url_path(info)
            step = f"{walked[path]:7.2f} s" if path in walked else "      -  "
            flag = "" if times[path] < GOAL_S and walked.get(path, 0) < GOAL_S else "  over 1 s"
            print(f"{index:2d} {info.title:34s} {times[path]:7.2f} s {step}{flag}")
        speaker.close()
    print(
        f"{sum(t < GOAL_S for t in times.values())} of {len(times)} pages under {GOAL_S:g} s in a new "
        f"tab, {sum(t < GOAL_S for t in walked.values())} of {len(walked)} after PageDown; "
        f"load average after: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
