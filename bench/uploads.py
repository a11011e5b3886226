"""Uploads (issue 7, part 4): a reply with one 10 MB file, and ten such uploads at once.

Real browser (Debian's Chromium), production build, one app process on SQLite. What each figure is:

  one upload      a customer tab on its ticket chooses a 10 MB text file (the file input of
                  #reply-files), types a message and clicks Send Reply: click -> the
                  attachment's link is in the thread (upload, checks, storing, the new state).
  ten at once     ten tabs (each its own context and ticket) click Send Reply with a 10 MB file
                  each, as close together as one Python thread can; the server's RSS (the
                  process session of `reflex run`, and the listening worker alone) is sampled
                  every 50 ms from before the clicks until every link shows; peak vs baseline.
                  Target (issue 7): the peak stays well under baseline + 10 x the file size.

    .venv/bin/python -m bench.uploads [--runs 5] [--port 3050]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import (
    PeakSampler,
    ServerMemory,
    bench_app,
    create_thread,
    launch_chromium,
    people,
    report,
    session_cookies,
    signed_in_context,
    write_results,
)
from tests.e2e.conftest import make_workspace
from xobito_web.services import tickets

FILE_SIZE = 10_000_000  # bytes ("10 MB"; the app's limit is 10 MiB)
PARALLEL = 10

# Date.now() when a link naming `name` is in the thread; window.__sent = [clicked, shown].
SEND_AND_WATCH = """name => {
  window.__sent = new Promise(resolve => {
    const clicked = Date.now();
    const has = () => [...document.querySelectorAll('#thread a')].some(a => a.textContent.includes(name));
    const observer = new MutationObserver(() => { if (has()) { observer.disconnect(); resolve([clicked, Date.now()]); } });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    document.querySelector('#reply-body').form.querySelector('button[type=submit]').click();
  });
}"""
READY_AGAIN = """() => { const box = document.querySelector('#reply-body');
  return box && box.value === '' && !box.form.querySelector('button[type=submit]').disabled; }"""


def text_file(directory: Path, name: str) -> Path:
    line = b"Xobito upload benchmark: plain UTF-8 text, line after line, ten megabytes of it.\n"
    path = directory / name
    with path.open("wb") as out:
        written = 0
        while written < FILE_SIZE:
            chunk = line[: FILE_SIZE - written]
            out.write(chunk)
            written += len(chunk)
    return path


def choose_and_type(page, path: Path, text: str) -> None:
    page.locator("#reply-files input[type=file]").set_input_files(str(path))
    page.wait_for_selector(f"text={path.name}")  # listed among the chosen files
    page.locator("#reply-body").fill(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=3050)
    args = parser.parse_args()
    files_dir = Path(tempfile.mkdtemp(prefix="xobito-bench-files-"))
    results: dict = {"file_bytes": FILE_SIZE, "parallel": PARALLEL}

    with bench_app(args.port) as app:
        workspace = make_workspace(app.database_url, "uploads bench")
        users = people(app.database_url, workspace.subdomain)
        admin, customer = users[workspace.admin], users[workspace.customer]
        numbers = [create_thread(app.database_url, customer, admin, f"Upload bench {i}", 2) for i in range(PARALLEL)]
        memory = ServerMemory(args.port)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            cookies = session_cookies(
                browser, app.base_url, workspace.customer, workspace.password, workspace.subdomain
            )

            def open_ticket(number: int):
                page = signed_in_context(browser, cookies).new_page()
                page.goto(f"{app.base_url}/{workspace.subdomain}/tickets/{tickets.format_ref(number)}")
                page.wait_for_selector("#reply-body")
                return page

            # One upload at a time, end to end.
            page = open_ticket(numbers[0])
            single = []
            for run in range(args.runs + 1):
                path = text_file(files_dir, f"single-{run}.txt")
                choose_and_type(page, path, f"Here is file number {run}.")
                page.evaluate(SEND_AND_WATCH, path.name)
                clicked, shown = page.evaluate("() => window.__sent")
                if run > 0:  # the first one warms up
                    single.append(shown - clicked)
                page.wait_for_function(READY_AGAIN)
                path.unlink()
            page.context.close()

            # Ten at once.
            pages = [open_ticket(number) for number in numbers]
            paths = [text_file(files_dir, f"parallel-{i}.txt") for i in range(PARALLEL)]
            for page, path in zip(pages, paths, strict=True):
                choose_and_type(page, path, f"Uploading {path.name} with the others.")
            time.sleep(2)
            baseline_tree, baseline_worker = memory.tree_mb(), memory.worker_mb()
            hwm_before = memory.worker_peak_mb()
            with PeakSampler(memory) as sampler:
                started = time.perf_counter()
                for page, path in zip(pages, paths, strict=True):
                    page.evaluate(SEND_AND_WATCH, path.name)
                each = []
                for page in pages:
                    clicked, shown = page.evaluate("() => window.__sent")
                    each.append(shown - clicked)
                all_done = (time.perf_counter() - started) * 1000
                time.sleep(0.5)
            hwm_after = memory.worker_peak_mb()
            browser.close()
        stored = sorted(p.stat().st_size for p in (app.data_dir / "storage").rglob("*") if p.is_file())

    print()
    print(f"Uploads, production build, one process, {FILE_SIZE / 1e6:.0f} MB text files:")
    results["single_ms"] = report("one upload: click Send Reply -> attachment link shown", single)
    results["parallel_each_ms"] = report(f"{PARALLEL} at once: click -> link shown, per tab", each)
    print(f"{PARALLEL} at once: all {PARALLEL} links shown after {all_done:.0f} ms")
    limit = baseline_tree + PARALLEL * FILE_SIZE / 2**20
    print(
        f"server RSS, process tree: baseline {baseline_tree:.1f} MB, peak {sampler.tree_peak:.1f} MB "
        f"(+{sampler.tree_peak - baseline_tree:.1f} MB; the bound baseline + {PARALLEL} x file = {limit:.1f} MB)"
    )
    print(
        f"server RSS, worker only:  baseline {baseline_worker:.1f} MB, peak {sampler.worker_peak:.1f} MB "
        f"(+{sampler.worker_peak - baseline_worker:.1f} MB); kernel high-water mark {hwm_before:.1f} -> {hwm_after:.1f} MB"
    )
    print(f"stored files: {sum(1 for size in stored if size == FILE_SIZE)} of {FILE_SIZE} bytes")
    results.update(
        {
            "parallel_all_done_ms": round(all_done, 1),
            "rss_tree_baseline_mb": round(baseline_tree, 1),
            "rss_tree_peak_mb": round(sampler.tree_peak, 1),
            "rss_worker_baseline_mb": round(baseline_worker, 1),
            "rss_worker_peak_mb": round(sampler.worker_peak, 1),
            "worker_vmhwm_mb_before": round(hwm_before, 1),
            "worker_vmhwm_mb_after": round(hwm_after, 1),
            "bound_mb": round(limit, 1),
            "peak_increase_mb": round(sampler.tree_peak - baseline_tree, 1),
            "within_bound": sampler.tree_peak < limit,
        }
    )
    write_results("uploads", results)


if __name__ == "__main__":
    main()
