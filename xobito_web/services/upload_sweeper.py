"""Sweeps staged uploads that were never attached nor discarded (a process killed mid-upload
leaves its temporary files under `<storage root>/tmp/`): once when the app starts, then every
quarter of an hour, for as long as it runs.

Registered with `app.register_lifespan_task(sweep_staged_uploads)`; the file work runs in a
worker thread so the event loop never waits for the disk. Plain Python: never imports reflex.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from xobito_web.services import attachments

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 15 * 60
# A file is staged and attached (or discarded) within one send; an hour-old one is abandoned.
ABANDONED_AFTER_SECONDS = 60 * 60


async def sweep_staged_uploads(
    every_seconds: float = SWEEP_EVERY_SECONDS,
    older_than_seconds: float = ABANDONED_AFTER_SECONDS,
    storage_root: Path | None = None,
) -> None:
    """Sweep now, then every `every_seconds`, until cancelled (the app stopping)."""
    while True:
        try:
            removed = await asyncio.to_thread(attachments.sweep_temp_files, older_than_seconds, storage_root)
        except OSError as error:  # a full or unmounted disk: try again next time, keep serving
            log.warning("Sweeping staged uploads failed: %s", error)
        else:
            if removed:
                log.info("Removed %d abandoned staged upload(s).", removed)
        await asyncio.sleep(every_seconds)
