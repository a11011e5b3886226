"""Labelled form fields with their error right below them (accounts and administration forms).

Every field has a visible label tied to it (`html_for`), its hint and its error are announced
with it (`aria-describedby`), and the error is a plain sentence in red next to the field.
`errors` is a state's dict var of messages by field name.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var
from reflex.vars.object import ObjectVar

from xobito_web.components import ui


def error_text(errors: ObjectVar, field: str, element_id: str) -> rx.Component:
    return rx.cond(
        errors.contains(field),
        ui.text(errors[field], color_scheme="red", size="2", role="alert", id=element_id),
    )


def text_field(
    label: str | Var,
    field_id: str,
    name: str,
    errors: ObjectVar,
    *,
    type: str = "text",
    auto_complete: str = "",
    hint: str = "",
    max_length: int | None = None,
    required: bool = True,
    **props,
) -> rx.Component:
    """A label, an input named `name`, an optional hint, and the error of `name` in `errors`."""
    error_id, hint_id = f"{field_id}-error", f"{field_id}-hint"
    return ui.vstack(
        rx.el.label(label, html_for=field_id, class_name="field-label"),
        ui.input(
            id=field_id,
            name=name,
            type=type,
            auto_complete=auto_complete or "off",
            required=required,
            max_length=max_length,
            width="100%",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            aria_describedby=f"{hint_id} {error_id}" if hint else error_id,
            **props,
        ),
        ui.text(hint, size="1", color_scheme="gray", id=hint_id) if hint else rx.fragment(),
        error_text(errors, name, error_id),
        spacing="1",
        width="100%",
    )


def form_error(errors: ObjectVar, element_id: str, field: str = "form") -> rx.Component:
    """A message about the whole form (not one field), e.g. a wait after too many requests."""
    return rx.cond(
        errors.contains(field),
        ui.callout(errors[field], color_scheme="red", role="alert", width="100%", id=element_id),
    )


def notice(message: Var, element_id: str) -> rx.Component:
    """A polite live region: what just happened, read out by screen readers."""
    return ui.box(
        rx.cond(message != "", ui.callout(message, color_scheme="green", icon="check", width="100%")),
        role="status",
        aria_live="polite",
        id=element_id,
        width="100%",
    )


def public_card(*children, heading: str | Var) -> rx.Component:
    """The frame of a page for people who are not signed in (like the sign-in page)."""
    return rx.el.main(
        ui.center(
            ui.card(
                ui.vstack(ui.heading(heading, as_="h1", size="6"), *children, spacing="4", width="100%"),
                width="100%",
                max_width="420px",
            ),
            min_height="80vh",
            padding="4",
        )
    )
