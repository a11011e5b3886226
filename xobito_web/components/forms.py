"""Pieces every message form shares: the length counter and the send row."""

from __future__ import annotations

import reflex as rx
from reflex.vars.number import NumberVar

from xobito_web.components import ui
from xobito_web.components.attachments import upload_progress

# The pieces' words, in one place.
STRINGS = {
    "characters": " / {maximum} characters (at least {minimum})",
}


def length_counter(length: NumberVar, minimum: int, maximum: int, element_id: str) -> rx.Component:
    """Live "N / max characters"; red while outside the limits (the server checks again)."""
    return ui.text(
        length,
        STRINGS["characters"].format(maximum=maximum, minimum=minimum),
        id=element_id,
        size="1",
        color_scheme=rx.cond((length > maximum) | ((length > 0) & (length < minimum)), "red", "gray"),
    )


def send_row(label: str, sending: rx.Var, percent: rx.Var, nonce: rx.Var) -> rx.Component:
    """Upload progress and the submit button; the nonce names this one message (no double posts)."""
    return ui.hstack(
        rx.el.input(type="hidden", name="nonce", value=nonce),
        upload_progress(sending, percent),
        ui.button(label, type="submit", size="3", loading=sending),
        justify="end",
        align="center",
        spacing="3",
        width="100%",
    )
