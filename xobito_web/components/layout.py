"""The frame every signed-in page shares: header with workspace, user, Tickets and Sign out."""

from __future__ import annotations

import reflex as rx

from xobito_web.state.session import SessionState


def not_found() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("404", size="9", color_scheme="gray"),
            rx.heading("Page not found", size="6", as_="h1"),
            rx.text("There is nothing at this address. Check the link, or ask whoever sent it."),
            align="center",
            spacing="3",
        ),
        min_height="70vh",
        id="not-found",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), min_height="50vh", aria_label="Loading")


def header() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.hstack(
                rx.text(SessionState.workspace_name, size="4", weight="bold"),
                rx.link("Tickets", href=SessionState.tickets_href, weight="medium"),
                spacing="5",
                align="center",
            ),
            rx.hstack(
                rx.text(SessionState.user_name, weight="medium", id="signed-in-user"),
                rx.badge(SessionState.user_role, variant="soft"),
                rx.button("Sign out", variant="outline", on_click=SessionState.sign_out),
                spacing="3",
                align="center",
            ),
            justify="between",
            align="center",
            width="100%",
            max_width="1100px",
            margin_x="auto",
            padding_x="4",
            padding_y="3",
        ),
        as_="header",
        border_bottom="1px solid var(--gray-a5)",
        background="var(--color-panel-solid)",
    )


def signed_in_page(content: rx.Component) -> rx.Component:
    """Shows the content once sign-in is checked; an unknown workspace shows the 404 page."""
    return rx.cond(
        SessionState.workspace_missing,
        not_found(),
        rx.cond(
            SessionState.signed_in,
            rx.box(
                header(),
                rx.el.main(content, class_name="page-main"),
            ),
            rx.cond(
                SessionState.sign_in_needed,
                # The session ended while the page was open: nothing of it stays on screen.
                rx.box(loading(), on_mount=rx.call_script("window.location.reload()")),
                loading(),
            ),
        ),
    )
