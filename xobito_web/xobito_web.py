"""The Reflex app: pages and start-up."""

import reflex as rx

from xobito_web.components.layout import not_found
from xobito_web.origins import socket_origin_allowed
from xobito_web.pages.login import login_page
from xobito_web.pages.new_ticket import new_ticket_page
from xobito_web.pages.ticket_list import ticket_list_page
from xobito_web.pages.ticket_view import ticket_view_page
from xobito_web.routes import build_api
from xobito_web.services import mailer
from xobito_web.services.upload_sweeper import sweep_staged_uploads
from xobito_web.state.live import hub
from xobito_web.state.login import LoginState
from xobito_web.state.new_ticket import NewTicketState
from xobito_web.state.ticket_list import TicketListState
from xobito_web.state.ticket_view import TicketViewState

TITLE = "Xobito tickets"

app = rx.App(stylesheets=["/styles.css"], api_transformer=build_api())  # + the download route
app.register_lifespan_task(hub.run)  # live updates into open screens
app.register_lifespan_task(mailer.mail_worker_lifespan)  # delivers the queued emails
app.register_lifespan_task(sweep_staged_uploads)  # abandoned temporary upload files
if app.sio is None:  # Reflex creates the socket server of every app with state
    raise RuntimeError("the app has no Socket.IO server")
app.sio.eio.cors_allowed_origins = socket_origin_allowed  # live connections from the app's own pages only
app.add_page(login_page, route="/[subdomain]/login", title=f"Sign in · {TITLE}", on_load=LoginState.load)
app.add_page(ticket_list_page, route="/[subdomain]/tickets", title=f"Tickets · {TITLE}", on_load=TicketListState.load)
app.add_page(
    new_ticket_page, route="/[subdomain]/tickets/new", title=f"New Ticket · {TITLE}", on_load=NewTicketState.load
)
app.add_page(
    ticket_view_page, route="/[subdomain]/tickets/[ticket]", title=f"Ticket · {TITLE}", on_load=TicketViewState.load
)
app.add_page(not_found, route="/404", title=f"Page not found · {TITLE}")
