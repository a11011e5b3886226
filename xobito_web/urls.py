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
PROFILE_TOKENS_ROUTE = "/[subdomain]/profile/tokens"
ADMIN_TOKENS_ROUTE = "/[subdomain]/admin/tokens"
PROFILE_ROUTE = "/[subdomain]/profile"
ADMIN_PEOPLE_ROUTE = "/[subdomain]/admin/people"
ADMIN_DEPARTMENTS_ROUTE = "/[subdomain]/admin/departments"
SAVED_REPLIES_ROUTE = "/[subdomain]/saved-replies"
FORGOT_PASSWORD_ROUTE = "/[subdomain]/forgot-password"
RESET_PASSWORD_ROUTE = "/[subdomain]/reset-password"
SET_PASSWORD_ROUTE = "/[subdomain]/set-password"
SIGN_UP_ROUTE = "/[subdomain]/sign-up"
VERIFY_EMAIL_ROUTE = "/[subdomain]/verify-email"
NOT_FOUND_ROUTE = "/404"

# Plain HTTP routes (routes.py).
DOWNLOAD_PATH = "/{subdomain}/tickets/{ticket}/download"
SIGN_IN_PATH = "/{subdomain}/login"
SIGN_OUT_PATH = "/{subdomain}/logout"
# A one-time link's form posts to its own page's address; the server sets the session cookie.
RESET_PASSWORD_PATH = "/{subdomain}/reset-password"
SET_PASSWORD_PATH = "/{subdomain}/set-password"
VERIFY_EMAIL_PATH = "/{subdomain}/verify-email"

# The help page's form routes and the JSON API (api.py).
REPLY_PATH = "/{subdomain}/tickets/{ticket}/reply"
CLOSE_PATH = "/{subdomain}/tickets/{ticket}/close"
API_PREFIX = "/{subdomain}/api/v1"
API_OPENAPI_PATH = API_PREFIX + "/openapi.json"
API_ME_PATH = API_PREFIX + "/me"
API_TICKETS_PATH = API_PREFIX + "/tickets"
API_TICKET_PATH = API_PREFIX + "/tickets/{ticket}"
API_REPLIES_PATH = API_PREFIX + "/tickets/{ticket}/replies"
API_CLOSE_PATH = API_PREFIX + "/tickets/{ticket}/close"
API_ASSIGN_PATH = API_PREFIX + "/tickets/{ticket}/assign"
API_TAKE_PATH = API_PREFIX + "/tickets/{ticket}/take"
API_TOKENS_PATH = API_PREFIX + "/tokens"
API_TOKEN_PATH = API_PREFIX + "/tokens/{token_id}"


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


def profile(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/profile"


def admin_people(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/admin/people"


def admin_departments(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/admin/departments"


def saved_replies(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/saved-replies"


def forgot_password(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/forgot-password"


def sign_up(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/sign-up"


def _with_link_token(path: str, token: str) -> str:
    # After '#': the browser never sends it to a server, so it stays out of logs and Referer.
    return f"{path}#token={quote(token, safe='')}" if token else path


def reset_password(subdomain: str, token: str = "") -> str:
    """The page of a password reset link (**New password**); with `token`, the email's link."""
    return _with_link_token(f"/{_segment(subdomain)}/reset-password", token)


def set_password(subdomain: str, token: str = "") -> str:
    """The page of an invitation link (**Set password**)."""
    return _with_link_token(f"/{_segment(subdomain)}/set-password", token)


def verify_email(subdomain: str, token: str = "") -> str:
    """The page of a sign-up's email verification link."""
    return _with_link_token(f"/{_segment(subdomain)}/verify-email", token)


def download(subdomain: str, ref: str, attachment_id: int, inline: bool = False) -> str:
    """One attachment, as the thread links to it."""
    url = f"{ticket(subdomain, ref)}/download?file={int(attachment_id)}"
    return url + "&inline=1" if inline else url


def reply(subdomain: str, ref: str) -> str:
    return f"{ticket(subdomain, ref)}/reply"


def close(subdomain: str, ref: str) -> str:
    return f"{ticket(subdomain, ref)}/close"


def profile_tokens(subdomain: str) -> str:
    """The signed-in person's API tokens (create, name, revoke)."""
    return f"/{_segment(subdomain)}/profile/tokens"


def admin_tokens(subdomain: str) -> str:
    """Every API token of the workspace (admins)."""
    return f"/{_segment(subdomain)}/admin/tokens"


def api_root(subdomain: str) -> str:
    return f"/{_segment(subdomain)}/api/v1"


def api_tickets(subdomain: str, query: dict[str, str] | None = None) -> str:
    encoded = urlencode({key: value for key, value in (query or {}).items() if value})
    return f"{api_root(subdomain)}/tickets" + (f"?{encoded}" if encoded else "")


def api_ticket(subdomain: str, ref: str) -> str:
    return f"{api_root(subdomain)}/tickets/{_segment(ref)}"


def is_own_page(subdomain: str, target: str) -> bool:
    """A path inside this workspace (never another site, `//host` or a backslash trick)."""
    return target.startswith(f"/{subdomain}/") and not target.startswith("//") and "\\" not in target


def absolute(path: str) -> str:
    """The public address of a path, for links that leave the app (emails)."""
    return config.settings.base_url + path
