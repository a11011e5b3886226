"""Staged uploads a killed process left behind are swept when the app starts and then periodically,
in a worker thread (the event loop never waits for the disk)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

from xobito_web.services import attachments
from xobito_web.services.upload_sweeper import sweep_staged_uploads

HOUR = 3600


def staged_file(folder: Path, name: str, age_seconds: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"upload-{name}.part"
    path.write_bytes(b"half an upload")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


async def gone(path: Path, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return not path.exists()


def recording(monkeypatch) -> list[threading.Thread]:
    """The threads attachments.sweep_temp_files ran in, one entry per finished sweep."""
    threads: list[threading.Thread] = []
    sweep = attachments.sweep_temp_files

    def recording_sweep(*args):
        removed = sweep(*args)
        threads.append(threading.current_thread())
        return removed

    monkeypatch.setattr(attachments, "sweep_temp_files", recording_sweep)
    return threads


def test_abandoned_files_go_as_soon_as_the_app_starts(storage, monkeypatch):
    folder = attachments.temp_dir(storage)
    abandoned = staged_file(folder, "abandoned", 2 * HOUR)
    in_progress = staged_file(folder, "in-progress", 60)
    threads = recording(monkeypatch)

    async def scenario() -> bool:
        # The next round is an hour away: only the sweep on start can remove the file.
        task = asyncio.create_task(sweep_staged_uploads(every_seconds=HOUR, older_than_seconds=HOUR))
        try:
            return await gone(abandoned)
        finally:
            task.cancel()

    assert asyncio.run(scenario()) is True
    assert in_progress.exists()  # a file still being written is recent: kept
    assert threads and all(thread is not threading.main_thread() for thread in threads)


def test_files_abandoned_later_go_at_a_later_round(storage, monkeypatch):
    folder = attachments.temp_dir(storage)
    threads = recording(monkeypatch)

    async def scenario() -> bool:
        task = asyncio.create_task(sweep_staged_uploads(every_seconds=0.1, older_than_seconds=HOUR))
        try:
            while not threads:  # the sweep on start has finished
                await asyncio.sleep(0.01)
            later = staged_file(folder, "crashed-later", 2 * HOUR)
            return await gone(later)
        finally:
            task.cancel()

    assert asyncio.run(scenario()) is True
    assert len(threads) >= 2
    assert all(thread is not threading.main_thread() for thread in threads)


def test_a_failing_sweep_is_tried_again_next_round(storage, monkeypatch):
    abandoned = staged_file(attachments.temp_dir(storage), "abandoned", 2 * HOUR)
    sweep = attachments.sweep_temp_files
    calls = []

    def failing_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise PermissionError("storage not mounted yet")
        return sweep(*args)

    monkeypatch.setattr(attachments, "sweep_temp_files", failing_once)

    async def scenario() -> bool:
        task = asyncio.create_task(sweep_staged_uploads(every_seconds=0.05, older_than_seconds=HOUR))
        try:
            return await gone(abandoned)
        finally:
            task.cancel()

    assert asyncio.run(scenario()) is True
    assert len(calls) >= 2


def test_the_app_runs_the_sweeper_for_its_whole_life():
    from xobito_web.xobito_web import app

    assert sweep_staged_uploads in app.get_lifespan_tasks()
