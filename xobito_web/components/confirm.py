"""The question before a change that is hard to undo (archive, deactivate, delete)."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import EventType

from xobito_web.state.actions import ListActionsMixin


def confirm_dialog(
    state: type[ListActionsMixin],
    title: str,
    text: str,
    cancel: str,
    confirm: str,
    on_confirm: EventType[()],
    high_contrast: bool = True,
) -> rx.Component:
    """Open while the page's state asks about `confirm_id`: "<title><confirm_name>?", `text`,
    then Cancel (closes it) and the red `confirm` button, which runs `on_confirm`."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title, state.confirm_name, "?"),
            rx.alert_dialog.description(text),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(cancel, variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(confirm, color_scheme="red", high_contrast=high_contrast, on_click=on_confirm)
                ),
                spacing="3",
                justify="end",
                margin_top="4",
            ),
        ),
        open=state.confirm_id != "",
        on_open_change=state.set_confirm_open,
    )
