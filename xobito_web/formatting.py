"""How values read on screen (plain Python, shared by the state classes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

STATUS_LABELS = {"open": "Open", "answered": "Answered", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "Urgent"}
ROLE_LABELS = {"admin": "Admin", "staff": "Staff", "customer": "Customer"}


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    for unit_seconds, unit in (
        (86400 * 365, "year"),
        (86400 * 30, "month"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= unit_seconds:
            count = seconds // unit_seconds
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def exact_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso_time(moment: datetime) -> str:
    """The `datetime` attribute of a <time>; the browser shows it in the viewer's own time zone."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TextPiece:
    """A stretch of a message: plain text, or a web address to show as a link (`href`)."""

    text: str
    href: str = ""


# Only http and https addresses become links: never javascript:, data: or anything else.
_WEB_ADDRESS = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def linked_text(text: str) -> list[TextPiece]:
    """The text in pieces, its web addresses apart (minus a sentence's closing punctuation)."""
    pieces: list[TextPiece] = []
    position = 0
    for match in _WEB_ADDRESS.finditer(text):
        address = match.group(0).rstrip(_TRAILING)
        if "(" in address and address.count("(") > address.count(")") and match.group(0)[len(address) :][:1] == ")":
            address += ")"  # a Wikipedia-style address keeps its closing parenthesis
        if match.start() > position:
            pieces.append(TextPiece(text[position : match.start()]))
        pieces.append(TextPiece(address, address))
        position = match.start() + len(address)
    if position < len(text):
        pieces.append(TextPiece(text[position:]))
    return pieces


def waiting_label(waiting_on: str) -> str:
    return {"team": "Waiting on team", "customer": "Waiting on customer"}.get(waiting_on, "")


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
