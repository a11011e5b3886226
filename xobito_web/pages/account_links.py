"""/{subdomain}/forgot-password, /sign-up, and the one-time link pages /reset-password,
/set-password and /verify-email (each link's token after '#')."""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.fields import form_error, public_card, text_field
from xobito_web.components.layout import loading, not_found
from xobito_web.services.workspaces import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from xobito_web.session_scripts import sign_in_script
from xobito_web.state.account_links import LINK_FORM_ID, ForgotPasswordState, LinkState, SignUpState

# The pages' words, in one place.
STRINGS = {
    "password_hint": f"At least {PASSWORD_MIN_LENGTH} characters. A few unrelated words make a strong one.",
    "back_to_sign_in": "Back to sign in",
    "forgot_title": "Forgot password?",
    "forgot_intro": "Enter the email address of your account. We will send you a link to choose a new password.",
    "email": "Email",
    "send_reset_link": "Send reset link",
    "sign_up_title": "Sign up",
    "sign_up_intro": "Create your account to open tickets and follow their answers.",
    "name": "Name",
    "sign_up": "Sign up",
    "sign_up_next": "We email you a link to confirm your address and choose your password.",
    "have_account": "Already have an account? Sign in",
    "sign_up_closed": "This workspace does not take sign-ups. Ask its team for an invitation.",
    "verification_intro": "Choose a password to confirm your address and finish signing up.",
    "new_password": "New password",
    "password": "Password",
    "set_new_password": "Set new password",
    "set_password": "Set password",
    "new_reset_link": "Request a new reset link",
    "go_to_sign_in": "Go to sign in",
}


def _workspace_page(state, content: rx.Component) -> rx.Component:
    return rx.cond(state.workspace_missing, not_found(), content)


def _sent(message: rx.Var, login_href: rx.Var) -> rx.Component:
    return ui.vstack(
        ui.callout(message, icon="mail", color_scheme="green", width="100%", role="status", id="sent-message"),
        ui.link(STRINGS["back_to_sign_in"], href=login_href),
        spacing="3",
        width="100%",
    )


def forgot_password_page() -> rx.Component:
    state = ForgotPasswordState
    form = ui.form(
        ui.vstack(
            ui.text(STRINGS["forgot_intro"]),
            text_field(STRINGS["email"], "email", "email", state.errors, type="email", auto_complete="username"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            form_error(state.errors, "form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            ui.button(STRINGS["send_reset_link"], type="submit", size="3", width="100%", loading=state.sending),
            ui.link(STRINGS["back_to_sign_in"], href=state.login_href),
            spacing="4",
            width="100%",
        ),
        on_submit=state.send_reset_link,
        reset_on_submit=False,
        width="100%",
    )
    return _workspace_page(
        state,
        public_card(
            ui.text(state.workspace_name, color_scheme="gray"),
            rx.cond(state.sent_message != "", _sent(state.sent_message, state.login_href), form),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            heading=STRINGS["forgot_title"],
        ),
    )


def sign_up_page() -> rx.Component:
    state = SignUpState
    form = ui.form(
        ui.vstack(
            ui.text(STRINGS["sign_up_intro"]),
            text_field(STRINGS["name"], "name", "name", state.errors, auto_complete="name", max_length=120),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            text_field(STRINGS["email"], "email", "email", state.errors, type="email", auto_complete="email"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            form_error(state.errors, "form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            ui.button(STRINGS["sign_up"], type="submit", size="3", width="100%", loading=state.sending),
            ui.text(STRINGS["sign_up_next"], size="2"),
            ui.link(STRINGS["have_account"], href=state.login_href),
            spacing="4",
            width="100%",
        ),
        on_submit=state.sign_up,
        reset_on_submit=False,
        width="100%",
    )
    closed = ui.vstack(
        ui.text(STRINGS["sign_up_closed"]),
        ui.link(STRINGS["back_to_sign_in"], href=state.login_href),
        spacing="3",
    )
    return _workspace_page(
        state,
        public_card(
            ui.text(state.workspace_name, color_scheme="gray"),
            rx.cond(
                ~state.loaded,
                loading(),
                rx.cond(
                    state.sent_message != "",
                    _sent(state.sent_message, state.login_href),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                    rx.cond(state.signup_open, form, closed),
                ),
            ),
            heading=STRINGS["sign_up_title"],
        ),
    )


def _password_form() -> rx.Component:
    state = LinkState
    return ui.form(
        ui.vstack(
            ui.text(state.person_name, " · ", state.person_email, weight="medium", id="link-person"),
            rx.cond(
                state.purpose == "verification",
                ui.text(STRINGS["verification_intro"]),
            ),
            text_field(
                rx.cond(state.purpose == "reset", STRINGS["new_password"], STRINGS["password"]),
                "new-password",
                "password",
                state.errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                type="password",
                auto_complete="new-password",
                hint=STRINGS["password_hint"],
                max_length=PASSWORD_MAX_LENGTH,
                min_length=PASSWORD_MIN_LENGTH,
            ),
            # The account's address for password managers (hidden, not a field to fill in).
            rx.el.input(type="hidden", name="username", value=state.person_email, auto_complete="username"),
            form_error(state.errors, "form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            ui.button(
                rx.cond(state.purpose == "reset", STRINGS["set_new_password"], STRINGS["set_password"]),
                type="submit",
                size="3",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        # Posted by script to the server's own route (routes.py) with the link's token.
        id=LINK_FORM_ID,
        action="?",  # its own page's address (the token stays after '#'), even before the script ran
        method="post",
        custom_attrs={"data-link-token": ""},
        on_submit=rx.call_script(sign_in_script(LINK_FORM_ID), callback=state.link_refused),
        reset_on_submit=False,
        width="100%",
    )


def _link_problem() -> rx.Component:
    state = LinkState
    return ui.vstack(
        ui.callout(
            state.problem, icon="triangle_alert", color_scheme="red", role="alert", width="100%", id="link-problem"
        ),
        rx.cond(
            state.purpose == "reset",
            ui.link(STRINGS["new_reset_link"], href=state.forgot_password_href),
            ui.link(STRINGS["go_to_sign_in"], href=state.login_href),
        ),
        spacing="3",
        width="100%",
    )


def password_link_page() -> rx.Component:
    state = LinkState
    return _workspace_page(
        state,
        public_card(
            ui.text(state.workspace_name, color_scheme="gray"),
            rx.cond(~state.checked, loading(), rx.cond(state.problem != "", _link_problem(), _password_form())),
            heading=state.heading,
        ),
    )
