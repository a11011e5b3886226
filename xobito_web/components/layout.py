"""The frame every signed-in page shares: a skip link, the header (workspace, navigation, who is
signed in, Sign out; a menu on narrow screens), the main landmark, and the tab's title."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var, VarData

from xobito_web.components import ui
from xobito_web.radix_styles import ACCENT as THEME_ACCENT
from xobito_web.state.session import SessionState

# The frame's words, in one place.
STRINGS = {
    "skip": "Skip to content",
    "menu": "Menu",
    "nav": "Main",
    "tickets": "Tickets",
    "new_ticket": "New Ticket",
    "profile": "Profile",
    "people": "People",
    "departments": "Departments",
    "saved_replies": "Saved replies",
    "sign_out": "Sign out",
    "loading": "Loading",
    "not_found_title": "Page not found",
    "not_found_text": "There is nothing at this address. Check the link, or ask whoever sent it.",
    "not_found_back": "Go to the tickets",
}
MAIN_ID = "main"
NAV_ID = "site-nav"


def toggle_script(button_id: str, target_id: str) -> str:
    """Opens and closes a part that narrow screens fold away, in the browser alone (no round
    trip to the server): the button's aria-expanded and the part's `open` class."""
    return (
        f"(() => {{ const button = document.getElementById({button_id!r});"
        f" const open = button.getAttribute('aria-expanded') !== 'true';"
        f" button.setAttribute('aria-expanded', String(open));"
        f" document.getElementById({target_id!r}).classList.toggle('open', open); }})()"
    )


def fold_button(label: str, icon: str, button_id: str, target_id: str) -> rx.Component:
    """The button that shows a folded part (`.foldable`, see styles.css) on narrow screens only."""
    return rx.el.button(
        rx.icon(icon, size=18, aria_hidden="true"),
        label,
        id=button_id,
        type="button",
        aria_expanded="false",
        aria_controls=target_id,
        on_click=rx.call_script(toggle_script(button_id, target_id)),
        class_name="fold-button rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button",
    )


def document_title(title: Var | str) -> rx.Component:
    """Names the tab after what the page shows (`TKT-000042 · Subject · Acme`).

    Writes into the text node of the page's own <title>, so the title of the next page (set by
    the router on that node) still replaces it."""
    title_var = Var.create(title)
    hook = f"""useEffect(() => {{
    const wanted = {title_var!s};
    if (!wanted) return;
    const node = document.head.querySelector("title")?.firstChild;
    if (node) node.nodeValue = wanted; else document.title = wanted;
  }}, [{title_var!s}]);"""
    return rx.fragment(
        Var(
            _js_expr="null",
            _var_data=VarData.merge(
                title_var._get_all_var_data(), VarData(imports={"react": "useEffect"}, hooks={hook: None})
            ),
        )
    )


def not_found() -> rx.Component:
    """The 404 page, its own main landmark (a page of its own, or an unknown workspace)."""
    return rx.el.main(not_found_content())


def not_found_content() -> rx.Component:
    """What the 404 page says, for a page that already has its frame (a ticket not found)."""
    return ui.center(
        ui.vstack(
            ui.text("404", size="9", weight="bold", color_scheme="gray", aria_hidden="true"),
            ui.heading(STRINGS["not_found_title"], size="6", as_="h1", tab_index=-1),
            ui.text(STRINGS["not_found_text"]),
            ui.link(STRINGS["not_found_back"], href=_home_href(), id="not-found-back"),
            align="center",
            spacing="3",
        ),
        min_height="70vh",
        padding="4",
        id="not-found",
    )


def _home_href() -> Var:
    """The tickets of the workspace in the address (the sign-in page sends strangers there), or
    the site's root when the address names none."""
    return Var(
        _js_expr="((segment) => (segment && segment !== '404' ? `/${segment}/tickets` : '/'))"
        "(typeof window === 'undefined' ? '' : window.location.pathname.split('/')[1])",
        _var_type=str,
    )


def loading() -> rx.Component:
    return ui.center(ui.spinner(size="3"), min_height="50vh", role="status", aria_label=STRINGS["loading"])


def _nav_link(label: str, href: Var) -> rx.Component:
    return rx.el.li(ui.link(label, href=href, weight="medium", class_name="site-nav-link"))


def header() -> rx.Component:
    """Plain elements with Radix Themes' classes (components/ui.py): every signed-in page
    renders it at once with its content."""
    return rx.el.header(
        rx.el.div(
            ui.text(SessionState.workspace_name, size="4", weight="bold", class_name="site-name"),
            fold_button(STRINGS["menu"], "menu", "menu-button", NAV_ID),
            rx.el.nav(
                rx.el.ul(
                    _nav_link(STRINGS["tickets"], SessionState.tickets_href),
                    rx.cond(~SessionState.is_team, _nav_link(STRINGS["new_ticket"], SessionState.nav_new_ticket_href)),
                    rx.cond(SessionState.is_team, _nav_link(STRINGS["saved_replies"], SessionState.saved_replies_href)),
                    _nav_link(STRINGS["profile"], SessionState.nav_profile_href),
                    rx.cond(
                        SessionState.user_role == "admin",
                        rx.fragment(
                            _nav_link(STRINGS["people"], SessionState.nav_people_href),
                            _nav_link(STRINGS["departments"], SessionState.nav_departments_href),
                        ),
                    ),
                    class_name="site-nav-links",
                ),
                rx.el.div(
                    rx.el.p(SessionState.user_name, id="signed-in-user", class_name="rt-Text rt-r-weight-medium"),
                    ui.badge(SessionState.user_role_label, color=THEME_ACCENT, size="1"),
                    ui.button(STRINGS["sign_out"], variant="outline", on_click=SessionState.sign_out),
                    class_name="site-user",
                ),
                id=NAV_ID,
                aria_label=STRINGS["nav"],
                class_name="site-nav foldable",
            ),
            class_name="site-header-inner",
        ),
        class_name="site-header",
    )


def _tab_title(title: Var | str) -> rx.Component:
    if isinstance(title, str) and not title:
        return rx.fragment()  # the page's own fixed title
    title_var = Var.create(title)
    named = title_var + " · " + SessionState.workspace_name  # type: ignore[operator]  # Reflex: a string Var + str is a Var
    return document_title(rx.cond(title_var != "", named, ""))


def skip_link() -> rx.Component:
    return ui.plain_link(STRINGS["skip"], href=f"#{MAIN_ID}", class_name="skip-link")


def signed_in_page(content: rx.Component, title: Var | str = "") -> rx.Component:
    """Shows the content once sign-in is checked; an unknown workspace shows the 404 page.

    `title` names the tab once the page knows it (the workspace's name is added)."""
    return rx.cond(
        SessionState.workspace_missing,
        not_found(),
        rx.cond(
            SessionState.signed_in,
            ui.box(
                skip_link(),
                header(),
                rx.el.main(content, class_name="page-main", id=MAIN_ID, tab_index=-1),
                _tab_title(title),
            ),
            rx.cond(
                SessionState.sign_in_needed,
                # The session ended while the page was open: nothing of it stays on screen.
                ui.box(loading(), on_mount=rx.call_script("window.location.reload()")),
                rx.el.main(loading()),
            ),
        ),
    )
