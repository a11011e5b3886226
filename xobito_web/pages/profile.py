"""/{subdomain}/profile"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.fields import error_text, form_error, notice, text_field
from xobito_web.components.layout import signed_in_page
from xobito_web.services.accounts import NAME_MAX
from xobito_web.services.workspaces import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from xobito_web.state.profile import EmailChoice, ProfileState

# The page's words, in one place.
STRINGS = {
    "title": "Profile",
    "name_section": "Name and email",
    "name": "Name",
    "email": "Email: ",
    "role": "Role: ",
    "save_name": "Save name",
    "password_section": "Change password",
    "current_password": "Current password",
    "new_password": "New password",
    "new_password_hint": f"At least {PASSWORD_MIN_LENGTH} characters. You stay signed in here; "
    "everywhere else you are signed out.",
    "change_password": "Change password",
    "emails_section": "Email notifications",
    "emails_legend": "Email me about",
    "tokens_section": "API tokens",
    "tokens_text": "Personal tokens let your own scripts use the HTTP API as you.",
    "manage_tokens": "Manage API tokens",
    "manage_saved_replies": "Manage saved replies",
    "sign_out_section": "Sign out everywhere",
    "sign_out_text": "Signs you out on every device and browser, this one too.",
    "sign_out_button": "Sign out everywhere",
}


def section(title: str, *children, section_id: str) -> rx.Component:
    heading_id = f"{section_id}-heading"
    return ui.card(
        rx.el.section(
            ui.vstack(ui.heading(title, as_="h2", size="4", id=heading_id), *children, spacing="3", width="100%"),
            aria_labelledby=heading_id,
            id=section_id,
        ),
        width="100%",
    )


def name_section() -> rx.Component:
    return section(
        STRINGS["name_section"],
        ui.form(
            ui.vstack(
                text_field(
                    STRINGS["name"],
                    "profile-name",
                    "name",
                    ProfileState.errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                    auto_complete="name",
                    max_length=NAME_MAX,
                    default_value=ProfileState.profile_name,
                    key=ProfileState.name_form_key,
                ),
                ui.text(STRINGS["email"], ui.strong(ProfileState.profile_email), size="2"),
                ui.text(STRINGS["role"], ui.strong(ProfileState.user_role_label), size="2"),
                ui.button(STRINGS["save_name"], type="submit", variant="soft", disabled=ProfileState.busy),
                notice(ProfileState.name_notice, "name-notice"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=ProfileState.save_name,
            reset_on_submit=False,
        ),
        section_id="profile-details",
    )


def password_section() -> rx.Component:
    return section(
        STRINGS["password_section"],
        ui.form(
            ui.vstack(
                # The account's address for password managers (hidden, not a field to fill in).
                rx.el.input(type="hidden", name="username", value=ProfileState.profile_email, auto_complete="username"),
                text_field(
                    STRINGS["current_password"],
                    "current-password",
                    "current_password",
                    ProfileState.errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                    type="password",
                    auto_complete="current-password",
                    max_length=PASSWORD_MAX_LENGTH,
                ),
                text_field(
                    STRINGS["new_password"],
                    "new-password",
                    "new_password",
                    ProfileState.errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                    type="password",
                    auto_complete="new-password",
                    hint=STRINGS["new_password_hint"],
                    max_length=PASSWORD_MAX_LENGTH,
                ),
                ui.button(STRINGS["change_password"], type="submit", variant="soft", disabled=ProfileState.busy),
                notice(ProfileState.password_notice, "password-notice"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                spacing="3",
                width="100%",
                align="start",
            ),
            key=ProfileState.password_form_key,
            on_submit=ProfileState.change_password,
            reset_on_submit=False,
        ),
        section_id="change-password",
    )


def email_choice(choice: EmailChoice) -> rx.Component:
    # One label around the box and its words: the box is named by them (no nested labels).
    return ui.checkbox(
        choice.label,
        checked=choice.wanted,
        on_change=lambda checked: ProfileState.set_email_wanted(choice.kind, checked),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
        disabled=ProfileState.busy,
    )


def emails_section() -> rx.Component:
    return section(
        STRINGS["emails_section"],
        rx.el.fieldset(
            rx.el.legend(STRINGS["emails_legend"], class_name="field-label"),
            rx.foreach(ProfileState.email_choices, email_choice),
            class_name="choice-group",
        ),
        error_text(ProfileState.errors, "emails", "emails-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
        notice(ProfileState.emails_notice, "emails-notice"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
        section_id="email-notifications",
    )


def tokens_section() -> rx.Component:
    return section(
        STRINGS["tokens_section"],
        ui.text(STRINGS["tokens_text"], size="2"),
        ui.link(STRINGS["manage_tokens"], href=ProfileState.profile_tokens_href),
        rx.cond(ProfileState.is_team, ui.link(STRINGS["manage_saved_replies"], href=ProfileState.saved_replies_href)),
        section_id="api-tokens",
    )


def sign_out_section() -> rx.Component:
    return section(
        STRINGS["sign_out_section"],
        ui.text(STRINGS["sign_out_text"], size="2"),
        ui.button(
            STRINGS["sign_out_button"], variant="outline", color_scheme="red", on_click=ProfileState.sign_out_everywhere
        ),
        form_error(ProfileState.errors, "sign-out-error", "sign_out"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
        section_id="sign-out-everywhere",
    )


def profile_page() -> rx.Component:
    return signed_in_page(
        ui.vstack(
            ui.heading(STRINGS["title"], as_="h1", size="6"),
            name_section(),
            password_section(),
            emails_section(),
            tokens_section(),
            sign_out_section(),
            spacing="4",
            width="100%",
            max_width="640px",
        ),
        title=STRINGS["title"],
    )
