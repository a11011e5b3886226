"""Posting a message together with the files that came with it (one transaction)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterable, Callable
from typing import TypeVar

from xobito_web.services import attachments
from xobito_web.services.attachments import StagedFile

Result = TypeVar("Result")


def new_nonce() -> str:
    """Names one composed message, so a second click or a re-sent event posts nothing twice."""
    return secrets.token_urlsafe(12)


async def post_with_files(chunks: AsyncIterable, write: Callable[[list[StagedFile]], Result]) -> Result:
    """Receive and check the files, then run `write` (which stores the message) off the event loop.

    Staged files are always removed afterwards; those the write attached were moved already.
    """
    staged: list[StagedFile] = []
    try:
        staged = await attachments.stage_chunk_stream(chunks)
        return await asyncio.to_thread(write, staged)
    finally:
        attachments.discard(staged)


def progress_percent(progress: dict) -> int:
    return max(0, min(100, round(float(progress.get("progress", 0) or 0) * 100)))
