"""/{subdomain}/forgot-password, /sign-up, and the one-time link pages /reset-password,
/set-password and /verify-email (each link's token after '#')."""

from __future__ import annotations

import reflex as rx

from xobito_web.components.fields import form_error, public_card, text_field
from xobito_web.components.layout import loading, not_found
from xobito_web.services.workspaces import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from xobito_web.session_scripts import sign_in_script
from xobito_web.state.account_links import LINK_FORM_ID, ForgotPasswordState, LinkState, SignUpState

PASSWORD_HINT = f"At least {PASSWORD_MIN_LENGTH} characters. A few unrelated words make a strong one."


def _workspace_page(state, content: rx.Component) -> rx.Component:
    return rx.cond(state.workspace_missing, not_found(), content)


def _sent(message: rx.Var, login_href: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.callout(message, icon="mail", color_scheme="green", width="100%", role="status", id="sent-message"),
        rx.link("Back to sign in", href=login_href),
        spacing="3",
        width="100%",
    )


def forgot_password_page() -> rx.Component:
    state = ForgotPasswordState
    form = rx.form(
        rx.vstack(
            rx.text("Enter the email address of your account. We will send you a link to choose a new password."),
            text_field("Email", "email", "email", state.errors, type="email", auto_complete="username"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            form_error(state.errors, "form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            rx.button("Send reset link", type="submit", size="3", width="100%", loading=state.sending),
            rx.link("Back to sign in", href=state.login_href),
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
            rx.text(state.workspace_name, color_scheme="gray"),
            rx.cond(state.sent_message != "", _sent(state.sent_message, state.login_href), form),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            heading="Forgot password?",
        ),
    )


def sign_up_page() -> rx.Component:
    state = SignUpState
    form = rx.form(
        rx.vstack(
            rx.text("Create your account to open tickets and follow their answers."),
            text_field("Name", "name", "name", state.errors, auto_complete="name", max_length=120),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            text_field("Email", "email", "email", state.errors, type="email", auto_complete="email"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            form_error(state.errors, "form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            rx.button("Sign up", type="submit", size="3", width="100%", loading=state.sending),
            rx.text("We email you a link to confirm your address and choose your password.", size="2"),
            rx.link("Already have an account? Sign in", href=state.login_href),
            spacing="4",
            width="100%",
        ),
        on_submit=state.sign_up,
        reset_on_submit=False,
        width="100%",
    )
    closed = rx.vstack(
        rx.text("This workspace does not take sign-ups. Ask its team for an invitation."),
        rx.link("Back to sign in", href=state.login_href),
        spacing="3",
    )
    return _workspace_page(
        state,
        public_card(
            rx.text(state.workspace_name, color_scheme="gray"),
            rx.cond(
                ~state.loaded,
                loading(),
                rx.cond(
                    state.sent_message != "",
                    _sent(state.sent_message, state.login_href),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                    rx.cond(state.signup_open, form, closed),
                ),
            ),
            heading="Sign up",
        ),
    )


def _password_form() -> rx.Component:
    state = LinkState
    return rx.form(
        rx.vstack(
            rx.text(state.person_name, " · ", state.person_email, weight="medium", id="link-person"),
            rx.cond(
                state.purpose == "verification",
                rx.text("Choose a password to confirm your address and finish signing up."),
            ),
            text_field(
                rx.cond(state.purpose == "reset", "New password", "Password"),
                "new-password",
                "password",
                state.errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                type="password",
                auto_complete="new-password",
                hint=PASSWORD_HINT,
                max_length=PASSWORD_MAX_LENGTH,
                min_length=PASSWORD_MIN_LENGTH,
            ),
            # The account's address for password managers (hidden, not a field to fill in).
            rx.el.input(type="hidden", name="username", value=state.person_email, auto_complete="username"),
            form_error(state.errors, "form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            rx.button(
                rx.cond(state.purpose == "reset", "Set new password", "Set password"),
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
    return rx.vstack(
        rx.callout(
            state.problem, icon="triangle_alert", color_scheme="red", role="alert", width="100%", id="link-problem"
        ),
        rx.cond(
            state.purpose == "reset",
            rx.link("Request a new reset link", href=state.forgot_href),
            rx.link("Go to sign in", href=state.login_href),
        ),
        spacing="3",
        width="100%",
    )


def password_link_page() -> rx.Component:
    state = LinkState
    return _workspace_page(
        state,
        public_card(
            rx.text(state.workspace_name, color_scheme="gray"),
            rx.cond(~state.checked, loading(), rx.cond(state.problem != "", _link_problem(), _password_form())),
            heading=state.heading,
        ),
    )
