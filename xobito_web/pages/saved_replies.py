"""/{subdomain}/saved-replies (the team)"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.confirm import confirm_dialog
from xobito_web.components.fields import error_text, form_error, notice, text_field
from xobito_web.components.layout import signed_in_page
from xobito_web.services.saved_replies import TITLE_MAX
from xobito_web.services.tickets import MESSAGE_MAX
from xobito_web.state.saved_replies import SavedRepliesState, SavedReplyItem

# The page's words, in one place.
STRINGS = {
    "title": "Saved replies",
    "intro": "Reusable texts to insert into a reply or a note with “Insert saved reply”.",
    "text": "Text",
    "placeholder_hint": "Placeholders filled in when the reply is inserted: {customer_name}, {ticket_id} and "
    "{agent_name} (you).",
    "shared": "Shared with the team",
    "only_you": "Only you will see this saved reply.",
    "add_title": "Add a saved reply",
    "field_title": "Title",
    "title_of": "Title of ",
    "save": "Save",
    "cancel": "Cancel",
    "edit": "Edit",
    "delete": "Delete",
    "delete_title": "Delete ",
    "delete_text": "It is gone for good; messages already sent with it stay as they are.",
    "none_yet": "No saved replies yet.",
    "team_only": "Saved replies are for the team.",
}


def text_box(field_id: str, errors, default_value: str | rx.Var = "") -> rx.Component:
    return ui.vstack(
        rx.el.label(STRINGS["text"], html_for=field_id, class_name="field-label"),
        ui.text_area(
            id=field_id,
            name="body",
            default_value=default_value,
            rows="5",
            width="100%",
            max_length=MESSAGE_MAX,
            required=True,
            aria_invalid=rx.cond(errors.contains("body"), "true", "false"),
            aria_describedby=f"{field_id}-hint {field_id}-error",
        ),
        ui.text(STRINGS["placeholder_hint"], size="1", color_scheme="gray", id=f"{field_id}-hint"),
        error_text(errors, "body", f"{field_id}-error"),
        spacing="1",
        width="100%",
    )


def shared_choice(field_id: str, checked: bool | rx.Var) -> rx.Component:
    """Admins choose whether the team shares it; staff keep their own (the server decides too)."""
    return rx.cond(
        SavedRepliesState.can_share,
        # One label around the box and its words: the box is named by them (no nested labels).
        ui.checkbox(STRINGS["shared"], name="shared", id=field_id, default_checked=checked),
        ui.text(STRINGS["only_you"], size="2", color_scheme="gray"),
    )


def add_form() -> rx.Component:
    state = SavedRepliesState
    return ui.card(
        ui.form(
            ui.vstack(
                ui.heading(STRINGS["add_title"], as_="h2", size="4"),
                text_field(STRINGS["field_title"], "new-title", "title", state.add_errors, max_length=TITLE_MAX),  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
                text_box("new-body", state.add_errors),
                shared_choice("new-shared", True),
                form_error(state.add_errors, "add-error"),  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
                ui.button(STRINGS["save"], type="submit", loading=state.busy),
                spacing="3",
                width="100%",
                align="start",
            ),
            key=state.add_form_key,
            on_submit=state.add_saved_reply,
            reset_on_submit=False,
        ),
        width="100%",
    )


def edit_form(item: SavedReplyItem) -> rx.Component:
    state = SavedRepliesState
    return ui.form(
        ui.vstack(
            text_field(
                STRINGS["title_of"] + item.title,
                "edit-title-" + item.id,
                "title",
                state.edit_errors,  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
                max_length=TITLE_MAX,
                default_value=item.title,
                auto_focus=True,
            ),
            text_box("edit-body-" + item.id, state.edit_errors, item.body),
            shared_choice("edit-shared-" + item.id, item.shared),
            form_error(state.edit_errors, "edit-error"),  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
            ui.hstack(
                ui.button(STRINGS["save"], type="submit", loading=state.busy),
                ui.button(
                    STRINGS["cancel"], type="button", variant="soft", color_scheme="gray", on_click=state.cancel_edit
                ),
                spacing="2",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=state.save_edit,
        reset_on_submit=False,
        width="100%",
    )


def item_card(item: SavedReplyItem) -> rx.Component:
    state = SavedRepliesState
    summary = ui.vstack(
        ui.flex(
            ui.hstack(
                ui.text(item.title, weight="bold"),
                ui.badge(item.scope_label, color=rx.cond(item.shared, "indigo", "gray"), size="1"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                item.can_change,
                ui.flex(
                    ui.button(
                        STRINGS["edit"],
                        size="1",
                        variant="soft",
                        on_click=state.start_edit(item.id),  # type: ignore[operator]  # Reflex: a state field or event is a Var on the class
                        aria_label=STRINGS["edit"] + " " + item.title,
                    ),
                    ui.button(
                        STRINGS["delete"],
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=state.ask_delete(item.id),  # type: ignore[operator]  # Reflex: a state field or event is a Var on the class
                        aria_label=STRINGS["delete"] + " " + item.title,
                    ),
                    gap="2",
                ),
            ),
            justify="between",
            gap="3",
            wrap="wrap",
            width="100%",
        ),
        ui.text(item.body, class_name="message-body"),
        spacing="2",
        width="100%",
    )
    return ui.card(rx.cond(state.editing_id == item.id, edit_form(item), summary), class_name="saved-reply")


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        SavedRepliesState,
        STRINGS["delete_title"],
        STRINGS["delete_text"],
        STRINGS["cancel"],
        STRINGS["delete"],
        SavedRepliesState.delete_saved_reply,
        high_contrast=False,
    )


def saved_replies_content() -> rx.Component:
    state = SavedRepliesState
    return ui.vstack(
        ui.heading(STRINGS["title"], as_="h1", size="6"),
        ui.text(STRINGS["intro"], size="2"),
        add_form(),
        notice(state.notice, "saved-replies-notice"),  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
        rx.cond(
            state.error != "",
            ui.callout(state.error, color_scheme="red", role="alert", width="100%", id="saved-replies-error"),
        ),
        rx.cond(
            state.items.length() == 0,  # type: ignore[attr-defined]  # Reflex: a state field or event is a Var on the class
            ui.text(STRINGS["none_yet"], color_scheme="gray", id="no-saved-replies"),
        ),
        ui.vstack(rx.foreach(state.items, item_card), spacing="2", width="100%", id="saved-replies"),
        delete_dialog(),
        spacing="4",
        width="100%",
        max_width="800px",
    )


def saved_replies_page() -> rx.Component:
    return signed_in_page(
        rx.cond(
            SavedRepliesState.loaded,
            rx.cond(
                SavedRepliesState.allowed,
                saved_replies_content(),
                ui.callout(STRINGS["team_only"], icon="lock", color_scheme="gray", width="100%", id="team-only"),
            ),
        )
    )
