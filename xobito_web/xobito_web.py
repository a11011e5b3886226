"""The Reflex app: pages, plain HTTP routes and start-up."""

import reflex as rx
from reflex_components_core.core.upload import Upload

from xobito_web import urls
from xobito_web.api import build_http_app
from xobito_web.components.layout import not_found
from xobito_web.frontend_serving import frontend_serving
from xobito_web.origins import socket_origin_allowed
from xobito_web.pages.account_links import forgot_password_page, password_link_page, sign_up_page
from xobito_web.pages.admin_departments import departments_page
from xobito_web.pages.admin_people import people_page
from xobito_web.pages.api_tokens import admin_tokens_page, profile_tokens_page
from xobito_web.pages.login import login_page
from xobito_web.pages.new_ticket import new_ticket_page
from xobito_web.pages.profile import profile_page
from xobito_web.pages.saved_replies import saved_replies_page
from xobito_web.pages.ticket_list import ticket_list_page
from xobito_web.pages.ticket_view import ticket_view_page
from xobito_web.services import mailer
from xobito_web.services.upload_sweeper import sweep_staged_uploads
from xobito_web.session_guard import guard
from xobito_web.state.account_links import ForgotPasswordState, LinkState, SignUpState
from xobito_web.state.admin_departments import DepartmentsState
from xobito_web.state.admin_people import PeopleState
from xobito_web.state.api_tokens import AdminTokensState, ProfileTokensState
from xobito_web.state.event_gate import EventGate
from xobito_web.state.live import hub
from xobito_web.state.login import LoginState
from xobito_web.state.new_ticket import NewTicketState
from xobito_web.state.prefetch import document_requested
from xobito_web.state.presence import ticker as presence_ticker
from xobito_web.state.profile import ProfileState
from xobito_web.state.saved_replies import SavedRepliesState
from xobito_web.state.session import SessionBinding
from xobito_web.state.ticket_list import TicketListState
from xobito_web.state.ticket_view import TicketViewState

TITLE = "Xobito tickets"

app = rx.App(
    stylesheets=["/styles.css"],
    # The page's writing direction, stated: the toast area (sonner) otherwise asks the browser for
    # the computed direction of <html> whenever it renders, a full style recalculation of the page
    # each time (≈ 25 ms of a first list load once the rows are in).
    html_lang="en",
    html_custom_attrs={"dir": "ltr"},
    # Local times, focus after navigation, long threads at the newest message (assets/a11y.js): a
    # plain deferred <script> in the document, fetched with the page's own code (`rx.script` adds
    # it through react-helmet only after the page has started, just as it asks for its data).
    head_components=[rx.el.script(src="/a11y.js", defer=True)],
    # The HTTP routes (sign-in, sign-out, download, reply, close, the JSON API) around Reflex's
    # app, and the session guard around everything (the socket and /_upload never see a raw
    # session cookie), and the compiled frontend's documents and cache headers outermost.
    # A page's document also starts its data read (state/prefetch.py).
    api_transformer=[build_http_app(), guard, frontend_serving(document_requested)],
)
# The composers send their files through Reflex's upload endpoint (rx.upload_files_chunk) from the
# browser's own file input (components/attachments.py); Reflex registers that endpoint only for an
# app that renders its drop-zone component, so it is asked for here.
Upload.is_used = True
app.add_middleware(SessionBinding(), index=0)  # before Reflex's hydrate sends the state
app.add_middleware(EventGate(), index=1)  # a socket sends only the app's events, as written
app.register_lifespan_task(hub.run)  # live updates into open screens
app.register_lifespan_task(presence_ticker.run)  # who else is on a ticket, for the team
app.register_lifespan_task(mailer.mail_worker_lifespan)  # delivers the queued emails
app.register_lifespan_task(sweep_staged_uploads)  # abandoned temporary upload files
if app.sio is None:  # Reflex creates the socket server of every app with state
    raise RuntimeError("the app has no Socket.IO server")
app.sio.eio.cors_allowed_origins = socket_origin_allowed  # live connections from the app's own pages only
app.add_page(login_page, route=urls.LOGIN_ROUTE, title=f"Sign in · {TITLE}", on_load=LoginState.load)
app.add_page(ticket_list_page, route=urls.TICKETS_ROUTE, title=f"Tickets · {TITLE}", on_load=TicketListState.load)
app.add_page(new_ticket_page, route=urls.NEW_TICKET_ROUTE, title=f"New Ticket · {TITLE}", on_load=NewTicketState.load)
app.add_page(ticket_view_page, route=urls.TICKET_ROUTE, title=f"Ticket · {TITLE}", on_load=TicketViewState.load)
app.add_page(
    profile_tokens_page,
    route=urls.PROFILE_TOKENS_ROUTE,
    title=f"API tokens · {TITLE}",
    on_load=ProfileTokensState.load,
)
app.add_page(
    admin_tokens_page,
    route=urls.ADMIN_TOKENS_ROUTE,
    title=f"Workspace API tokens · {TITLE}",
    on_load=AdminTokensState.load,
)
app.add_page(profile_page, route=urls.PROFILE_ROUTE, title=f"Profile · {TITLE}", on_load=ProfileState.load)
app.add_page(people_page, route=urls.ADMIN_PEOPLE_ROUTE, title=f"People · {TITLE}", on_load=PeopleState.load)
app.add_page(
    departments_page, route=urls.ADMIN_DEPARTMENTS_ROUTE, title=f"Departments · {TITLE}", on_load=DepartmentsState.load
)
app.add_page(
    saved_replies_page,
    route=urls.SAVED_REPLIES_ROUTE,
    title=f"Saved replies · {TITLE}",
    on_load=SavedRepliesState.load,
)
app.add_page(
    forgot_password_page,
    route=urls.FORGOT_PASSWORD_ROUTE,
    title=f"Forgot password · {TITLE}",
    on_load=ForgotPasswordState.load,
)
app.add_page(sign_up_page, route=urls.SIGN_UP_ROUTE, title=f"Sign up · {TITLE}", on_load=SignUpState.load)
for link_route, link_title in (
    (urls.RESET_PASSWORD_ROUTE, "New password"),
    (urls.SET_PASSWORD_ROUTE, "Set password"),
    (urls.VERIFY_EMAIL_ROUTE, "Confirm your email address"),
):
    app.add_page(password_link_page, route=link_route, title=f"{link_title} · {TITLE}", on_load=LinkState.load)
app.add_page(not_found, route=urls.NOT_FOUND_ROUTE, title=f"Page not found · {TITLE}")
