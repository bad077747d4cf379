"""Many people at once: N browser sessions on the explorer and predictions pages of one server.

    python -m benchmarks.load_check [--sessions 10] [--rounds 2] [--cache DIR]

Starts ``streamlit run dashboard/Home.py`` on the demo data (``benchmarks/browser.py``),
makes sure a finished quick Keras and PyTorch run exist on it (trains them with
``python -m pipeline.train`` if missing, once: they stay in the cache), and opens both pages once
in a first session (the cold visit: frameworks, models and Grad-CAM load then). Then N people,
each a browser context of one headless Chromium, arrive at the same moment on the explorer
(a full page load), move on to the predictions page and back through the sidebar, as people
do, ``--rounds`` times; every step is taken by all N at once.

A page's time runs from the navigation (or the click) to fully rendered: the page's title is
shown, its script has finished, the app is connected and the skeleton gone (the browser tests'
check, polled for every session in turn so that all N load at once). Prints ``name value``
lines: p50 / p95 per page, the cold visits, pages that showed an error or a traceback, the
Streamlit process's CPU seconds per page view (what a view costs the server, however busy the
machine is) and its peak RSS. The browser runs on the same machine: on few cores, the page
times include its rendering too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.browser import (
    chromium_problem,
    launch_chromium,
    peak_rss_mb,
    rss_mb,
    running_app,
)
from pipeline.settings import cache_root

ROOT = Path(__file__).resolve().parents[1]

PAGES = {  # name: (URL path, sidebar link, page title)
    "explorer": ("/explorer", "Dataset explorer", "Dataset explorer"),
    "predictions": ("/predictions", "Predictions", "Predictions and Grad-CAM"),
}
PAGE_TIMEOUT_S = 300  # ten sessions on two busy cores can take minutes; slower counts as a failure
POLL_S = 0.05
SETTLE_S = 0.6  # rendered once idle this long: a rerun the page asked for would have started
# benchmarks/browser.py's idle check, plus the page's title, evaluated without blocking
RENDERED = """(title) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const heading = document.querySelector('[data-testid="stMainBlockContainer"] h1');
    return app !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && heading !== null && heading.innerText.trim() === title
        && document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]') === null;
}"""

STATE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const heading = document.querySelector('[data-testid="stMainBlockContainer"] h1');
    return `script ${app && app.getAttribute('data-test-script-state')}, `
         + `connection ${app && app.getAttribute('data-test-connection-state')}, `
         + `title ${heading && heading.innerText.trim()}, url ${location.pathname}`;
}"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sessions", type=int, default=10, help="browser sessions at once (default 10)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="explorer -> predictions per session (default 2)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="PNEUMOLAB_CACHE for the server and the runs "
        "(default: the app's own cache, so the runs are kept)",
    )
    args = parser.parse_args()
    if problem := chromium_problem():
        print(f"error: {problem}", file=sys.stderr)
        return 2
    cache = args.cache or cache_root()
    os.environ["PNEUMOLAB_CACHE"] = str(cache)
    runs = {framework: quick_run(framework) for framework in ("torch", "keras")}

    from playwright.sync_api import sync_playwright

    with (
        running_app(
            {"PNEUMOLAB_DATA": "synthetic", "PNEUMOLAB_ALLOW_LOCAL_PATHS": "1"}, cache
        ) as url,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        progress("cold visit: one session opens both pages")
        first = browser.new_page()
        cold = {name: step([first], url, name, load=True)[0] for name in PAGES}
        first.close()

        people = [
            browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for _ in range(args.sessions)
        ]
        views = {name: [] for name in PAGES}
        server_cpu = dict.fromkeys(PAGES, 0.0)
        for round_ in range(args.rounds):
            for name in PAGES:
                load = (
                    round_ == 0 and name == "explorer"
                )  # they arrive by URL, then use the sidebar
                progress(
                    f"round {round_ + 1}: {args.sessions} sessions {'open' if load else 'go to'} the {name} page"
                )
                before = cpu_seconds(url.pid)
                views[name] += step(people, url, name, load)
                server_cpu[name] += cpu_seconds(url.pid) - before
        browser.close()
        figures = {
            "peak_rss_mb": peak_rss_mb(url.pid),
            "end_rss_mb": rss_mb(url.pid),
            "server_cpu_per_view": {name: server_cpu[name] / len(views[name]) for name in PAGES},
        }
    report(args, runs, cold, views, figures)
    return (
        1
        if any(
            view["problem"]
            for view in [*cold.values(), *(view for group in views.values() for view in group)]
        )
        else 0
    )


def quick_run(framework: str) -> str:
    """The finished quick run of ``framework`` on the demo data: cached, or trained now (minutes)."""
    command = [
        sys.executable,
        "-m",
        "pipeline.train",
        "--framework",
        framework,
        "--source",
        "synthetic",
        "--preset",
        "quick",
        "--json",
    ]
    progress(f"{framework}: finding or training the quick run on synthetic")
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"training the quick {framework} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)["run_id"]


def step(pages: list, url: str, name: str, load: bool) -> list[dict]:
    """Every page goes to ``name`` at once (by URL, or by its sidebar link): each one's time, and problems."""
    path, link, title = PAGES[name]
    started = {}
    for index, page in enumerate(pages):
        started[index] = time.monotonic()
        if load:
            page.goto(url + path, wait_until="commit")  # returns once answered: all N load at once
        else:
            page.locator('[data-testid="stSidebarNavLink"]', has_text=link).first.click(
                no_wait_after=True
            )
    idle_since, done = {}, {}
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while len(done) < len(pages) and time.monotonic() < deadline:
        for index, page in enumerate(pages):
            if index in done:
                continue
            now = time.monotonic()
            if not page.evaluate(RENDERED, title):
                idle_since.pop(index, None)
            elif now - idle_since.setdefault(index, now) >= SETTLE_S:
                done[index] = idle_since[index] - started[index]
        time.sleep(POLL_S)
    return [
        {"seconds": done.get(i, math.inf), "problem": page_problem(page, rendered=i in done)}
        for i, page in enumerate(pages)
    ]


def page_problem(page, rendered: bool) -> str:
    """A traceback or an error box on the page, or where it stands if it never rendered; else ''."""
    boxes = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all()
    problems = [box.inner_text()[:200] for box in boxes]
    if not rendered:
        problems.append(f"not rendered within {PAGE_TIMEOUT_S} s: {page.evaluate(STATE)}")
    return " | ".join(problems)


def progress(text: str) -> None:
    print(
        f"# {time.strftime('%H:%M:%S')} {text} (load average {os.getloadavg()[0]:.1f})",
        file=sys.stderr,
        flush=True,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(args, runs: dict, cold: dict, views: dict, figures: dict) -> None:
    print(
        f"# {args.sessions} sessions at once, {args.rounds} rounds, demo data (synthetic); runs torch "
        f"{runs['torch']}, keras {runs['keras']}; {os.cpu_count()} CPUs, load average at the end "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"sessions {args.sessions}")
    for name in PAGES:
        seconds = [view["seconds"] for view in views[name]]
        print(f"{name}_cold_s {cold[name]['seconds']:.2f}")
        print(f"{name}_p50_s {percentile(seconds, 0.50):.2f}")
        print(f"{name}_p95_s {percentile(seconds, 0.95):.2f}")
        print(f"{name}_max_s {max(seconds):.2f}")  # inf: some session never rendered it
        print(f"{name}_server_cpu_s_per_view {figures['server_cpu_per_view'][name]:.2f}")
        problems = [view["problem"] for view in [*views[name], cold[name]] if view["problem"]]
        print(f"{name}_pages_with_errors {len(problems)}")
        for problem in problems[:3]:
            print(f"# {name}: {problem}")
    print(f"streamlit_peak_rss_mb {figures['peak_rss_mb']:.0f}")
    print(f"streamlit_end_rss_mb {figures['end_rss_mb']:.0f}")


if __name__ == "__main__":
    sys.exit(main())
