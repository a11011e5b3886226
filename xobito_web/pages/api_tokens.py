"""/{subdomain}/profile/tokens (a person's own API tokens) and /{subdomain}/admin/tokens (every
token of the workspace, admins)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.layout import signed_in_page
from xobito_web.services.api_tokens import NAME_MAX
from xobito_web.state.api_tokens import (
    ADMINS_ONLY,
    NEW_TOKEN_FIELD_ID,
    AdminTokensState,
    ProfileTokensState,
    TokenRow,
)

# The page's words, in one place.
STRINGS = {
    "name": "Name",
    "owner": "Owner",
    "starts_with": "Starts with",
    "created": "Created",
    "last_used": "Last used",
    "revoke": "Revoke",
    "revoke_label": "Revoke ",
    "actions": "Actions",
    "tokens": "API tokens",
    "no_tokens": "There are no API tokens here.",
    "token_name": "Token name",
    "token_placeholder": "e.g. Nightly report script",
    "create": "Create token",
    "new_token_title": "Your new token “",
    "new_token_title_end": "”",
    "copy_now": "Copy it now: it is shown only this once. Anyone who has it can act as you through the API.",
    "new_token": "New API token",
    "copy": "Copy",
    "done": "Done",
    "intro_start": "A personal API token lets a script use the API as you (",
    "intro_code": "Authorization: Bearer …",
    "intro_end": "): it sees and changes exactly what you may. Only a fingerprint of it is kept, so it is shown "
    "once. Revoke a token you no longer use.",
    "every_token": "Every token of the workspace",
    "your_tokens": "Your tokens",
    "admin_title": "API tokens of the workspace",
    "admin_intro": "Every working token of the workspace, whoever made it. Revoking one stops it at once.",
    "own_tokens": "Your own tokens",
    "admin_tab_title": "Workspace API tokens",
}

COPY_SCRIPT = f"navigator.clipboard.writeText(document.getElementById('{NEW_TOKEN_FIELD_ID}').value)"


def _notices(state: Any) -> rx.Component:
    return rx.fragment(
        rx.cond(state.notice != "", ui.callout(state.notice, color_scheme="green", role="status", id="tokens-notice")),
        rx.cond(state.error != "", ui.callout(state.error, color_scheme="red", role="alert", id="tokens-error")),
    )


def _table(state: Any, rows: Any, with_owner: bool) -> rx.Component:
    titles = [
        STRINGS["name"],
        *([STRINGS["owner"]] if with_owner else []),
        STRINGS["starts_with"],
        STRINGS["created"],
        STRINGS["last_used"],
    ]

    def row(token: TokenRow) -> rx.Component:
        return ui.table_row(
            ui.row_header_cell(token.name),
            *([ui.cell(token.owner, label=STRINGS["owner"])] if with_owner else []),
            ui.cell(rx.el.code(token.prefix, "…"), label=STRINGS["starts_with"]),
            ui.cell(
                rx.el.time(token.created, title=token.created_exact, date_time=token.created_exact),
                label=STRINGS["created"],
            ),
            ui.cell(
                rx.el.time(token.last_used, title=token.last_used_exact, date_time=token.last_used_exact),
                label=STRINGS["last_used"],
            ),
            ui.cell(
                ui.button(
                    STRINGS["revoke"],
                    color_scheme="red",
                    variant="soft",
                    size="1",
                    loading=state.revoking == token.id,
                    aria_label=STRINGS["revoke_label"] + token.name,
                    on_click=state.revoke(token.id),
                )
            ),
        )

    return rx.cond(
        rows.length() > 0,
        ui.table(
            rx.el.thead(
                ui.table_row(
                    *[
                        rx.el.th(title, class_name="rt-TableCell rt-TableColumnHeaderCell", scope="col")
                        for title in titles
                    ],
                    # The buttons' column: named for screen readers, nothing to show.
                    rx.el.th(
                        rx.el.span(STRINGS["actions"], class_name="visually-hidden"),
                        class_name="rt-TableCell rt-TableColumnHeaderCell",
                        scope="col",
                    ),
                ),
                class_name="rt-TableHeader",
            ),
            rx.el.tbody(rx.foreach(rows, row), class_name="rt-TableBody"),
            aria_label=STRINGS["tokens"],
        ),
        ui.text(STRINGS["no_tokens"], id="no-tokens"),
    )


def _create_form() -> rx.Component:
    state = ProfileTokensState
    return ui.form(
        ui.vstack(
            rx.el.label(STRINGS["token_name"], html_for="token-name", class_name="field-label"),
            ui.hstack(
                ui.input(
                    id="token-name",
                    name="name",
                    value=state.new_name,
                    on_change=state.set_new_name,
                    placeholder=STRINGS["token_placeholder"],
                    max_length=NAME_MAX,
                    width="280px",
                ),
                ui.button(STRINGS["create"], type="submit", loading=state.creating),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                state.name_error != "",
                ui.text(state.name_error, color_scheme="red", size="2", role="alert", id="token-name-error"),
            ),
            spacing="1",
        ),
        on_submit=state.create,
        reset_on_submit=False,
    )


def _new_token_panel() -> rx.Component:
    """Always in the page, hidden until a token is made: the create event writes the token into
    its field directly, so the token never sits in the server's state."""
    state = ProfileTokensState
    return ui.card(
        ui.vstack(
            ui.heading(
                ui.span(STRINGS["new_token_title"], state.created_name, STRINGS["new_token_title_end"]),
                as_="h2",
                size="4",
            ),
            ui.text(STRINGS["copy_now"]),
            rx.el.label(STRINGS["new_token"], html_for=NEW_TOKEN_FIELD_ID, class_name="field-label"),
            rx.el.input(
                id=NEW_TOKEN_FIELD_ID,
                read_only=True,
                class_name="token-value",
                on_focus=rx.call_script(f"document.getElementById('{NEW_TOKEN_FIELD_ID}').select()"),
            ),
            ui.hstack(
                ui.button(STRINGS["copy"], variant="soft", on_click=rx.call_script(COPY_SCRIPT)),
                ui.button(STRINGS["done"], variant="outline", on_click=state.dismiss_new_token),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        id="new-token-panel",
        width="100%",
        display=rx.cond(state.created_name != "", "block", "none"),
    )


def profile_tokens_page() -> rx.Component:
    state = ProfileTokensState
    return signed_in_page(
        ui.vstack(
            ui.heading(STRINGS["tokens"], as_="h1", size="6"),
            ui.text(
                STRINGS["intro_start"],
                rx.el.code(STRINGS["intro_code"]),
                STRINGS["intro_end"],
            ),
            rx.cond(
                state.user_role == "admin",
                ui.link(STRINGS["every_token"], href=state.admin_tokens_href, id="admin-tokens-link"),
            ),
            ui.card(_create_form(), width="100%"),
            _new_token_panel(),
            _notices(state),
            ui.heading(STRINGS["your_tokens"], as_="h2", size="4"),
            _table(state, state.tokens, with_owner=False),
            spacing="4",
            width="100%",
            max_width="900px",
        ),
        title=STRINGS["tokens"],
    )


def admin_tokens_page() -> rx.Component:
    state = AdminTokensState
    return signed_in_page(
        ui.vstack(
            ui.heading(STRINGS["admin_title"], as_="h1", size="6"),
            rx.cond(
                state.allowed,
                ui.vstack(
                    ui.text(STRINGS["admin_intro"]),
                    ui.link(STRINGS["own_tokens"], href=state.profile_tokens_href),
                    _notices(state),
                    _table(state, state.tokens, with_owner=True),
                    spacing="4",
                    width="100%",
                ),
                ui.text(ADMINS_ONLY, id="admins-only"),
            ),
            spacing="4",
            width="100%",
            max_width="1100px",
        ),
        title=STRINGS["admin_tab_title"],
    )
