"""/{subdomain}/login"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.layout import not_found
from xobito_web.session_scripts import sign_in_script
from xobito_web.state.login import SIGN_IN_FORM_ID, LoginState

# The page's words, in one place.
STRINGS = {
    "title": "Sign in",
    "email": "Email",
    "password": "Password",
    "submit": "Sign in",
    "forgot": "Forgot password?",
    "sign_up": "Sign up",
}


def login_form() -> rx.Component:
    return ui.card(
        ui.form(
            ui.vstack(
                ui.heading(STRINGS["title"], as_="h1", size="6"),
                ui.text(LoginState.workspace_name, color_scheme="gray"),
                ui.vstack(
                    rx.el.label(STRINGS["email"], html_for="email", class_name="field-label"),
                    ui.input(
                        id="email", name="email", type="email", auto_complete="username", required=True, width="100%"
                    ),
                    width="100%",
                    spacing="1",
                ),
                ui.vstack(
                    rx.el.label(STRINGS["password"], html_for="password", class_name="field-label"),
                    ui.input(
                        id="password",
                        name="password",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                        width="100%",
                    ),
                    width="100%",
                    spacing="1",
                ),
                rx.cond(
                    LoginState.error != "",
                    ui.callout(LoginState.error, color_scheme="red", role="alert", width="100%"),
                ),
                rx.el.input(type="hidden", name="next", value=LoginState.next_target),
                ui.button(STRINGS["submit"], type="submit", width="100%", size="3"),
                ui.flex(
                    ui.link(STRINGS["forgot"], href=LoginState.forgot_password_href),
                    rx.cond(LoginState.signup_open, ui.link(STRINGS["sign_up"], href=LoginState.sign_up_href)),
                    justify="between",
                    wrap="wrap",
                    gap="3",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            # Posted to the server's own route (routes.py), by script or, without one, as a form.
            id=SIGN_IN_FORM_ID,
            # Relative to /{subdomain}/login: right before the page's script has run, too.
            action="login",
            method="post",
            on_submit=rx.call_script(sign_in_script(SIGN_IN_FORM_ID), callback=LoginState.sign_in_refused),
            reset_on_submit=False,
        ),
        width="100%",
        max_width="400px",
    )


def login_page() -> rx.Component:
    return rx.cond(
        LoginState.workspace_missing,
        not_found(),
        rx.el.main(ui.center(login_form(), min_height="80vh", padding="4")),
    )
