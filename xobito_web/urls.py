"""Every address of the app, in one place: the page routes and the URL builders.

Pages live under /{subdomain}/… (docs/product.md, "People and workspaces"); Reflex pages
declare their dynamic parts as [name], the plain HTTP routes as {name}. Nothing else in the
app writes one of these paths by hand. Plain Python: services use it for email links.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from xobito_web import config

# Reflex page routes (the [parts] become route vars on the state: self.subdomain, self.ticket).
LOGIN_ROUTE = "/[subdomain]/login"
TICKETS_ROUTE = "/[subdomain]/tickets"
NEW_TICKET_ROUTE = "/[subdomain]/tickets/new"
TICKET_ROUTE = "/[subdomain]/tickets/[ticket]"
NOT_FOUND_ROUTE = "/404"

# Plain HTTP routes (routes.py).
DOWNLOAD_PATH = "/{subdomain}/tickets/{ticket}/download"
SIGN_IN_PATH = "/{subdomain}/login"
SIGN_OUT_PATH = "/{subdomain}/logout"


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def workspace_home(subdomain: str) -> str:
    return f"/{_segment(subdomain)}"


def login(subdomain: str, next_path: str = "", error: str = "") -> str:
    query = urlencode({key: value for key, value in (("next", next_path), ("error", error)) if value})
    return f"/{_segment(subdomain)}/login" + (f"?{query}" if query else "")


def logout(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/logout"


def tickets(subdomain: str, query: dict[str, str] | None = None) -> str:
    """The list; `query` holds its filters (empty values are left out)."""
    encoded = urlencode({key: value for key, value in (query or {}).items() if value})
    return f"/{_segment(subdomain)}/tickets" + (f"?{encoded}" if encoded else "")


def new_ticket(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/tickets/new"


def ticket(subdomain: str, ref: str) -> str:
    return f"/{_segment(subdomain)}/tickets/{_segment(ref)}"


def download(subdomain: str, ref: str, attachment_id: int, inline: bool = False) -> str:
    """One attachment, as the thread links to it."""
    url = f"{ticket(subdomain, ref)}/download?file={int(attachment_id)}"
    return url + "&inline=1" if inline else url


def is_own_page(subdomain: str, target: str) -> bool:
    """A path inside this workspace (never another site, `//host` or a backslash trick)."""
    return target.startswith(f"/{subdomain}/") and not target.startswith("//") and "\\" not in target


def absolute(path: str) -> str:
    """The public address of a path, for links that leave the app (emails)."""
    return config.settings.base_url + path
