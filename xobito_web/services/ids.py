"""Ticket IDs and database ids as they come from URLs and forms (docs/product.md, "Tickets").

A ticket is known to people by its reference, `TKT-` and at least six digits of its number in
the workspace (`TKT-000042`); numbers and ids are 32-bit integer columns.
"""

from __future__ import annotations

import re
from typing import Any

# A bigger value cannot exist and would make PostgreSQL raise "integer out of range" instead
# of simply finding nothing.
MAX_INT32 = 2**31 - 1

_REF_PATTERN = re.compile(r"TKT-?([0-9]{1,10})", re.IGNORECASE)


def format_ref(number: int) -> str:
    """42 -> "TKT-000042" (at least six digits; more once a workspace passes 999,999)."""
    return f"TKT-{number:06d}"


def parse_ref(text: str | None) -> int | None:
    """The number of a pasted ticket ID ("TKT-000042", " tkt-42 ", "TKT000042"), else None."""
    match = _REF_PATTERN.fullmatch((text or "").strip()[:32])
    if match is None:
        return None
    number = int(match.group(1))
    return number if is_ticket_number(number) else None


def is_ticket_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT32


def as_id(value: Any) -> int | None:
    """A database id from an int or a digit string (as found in a URL or a form), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_INT32 else None
    digits = str(value if value is not None else "").strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 10:
        return as_id(int(digits))
    return None
