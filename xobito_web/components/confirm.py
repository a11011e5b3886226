"""The question before a change that is hard to undo (archive, deactivate, delete)."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import EventType

from xobito_web.components import ui
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
    return ui.dialog(
        ui.dialog_buttons(
            cancel,
            state.set_confirm_open,
            ui.button(confirm, color_scheme="red", high_contrast=high_contrast, on_click=on_confirm),
            margin_top="4",
        ),
        dialog_id=f"confirm-{state.get_name()}",
        open=state.confirm_id != "",
        title=rx.fragment(title, state.confirm_name, "?"),
        description=text,
        alert=True,
    )
