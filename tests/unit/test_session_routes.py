"""Sign-in and sign-out through the server's own routes, the HttpOnly session cookie, and the
guard that keeps raw session tokens away from Reflex and client tokens from acting alone."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from reflex_base.event import Event
from sqlmodel import select
from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from tests.unit.screens import open_tab, run
from xobito_web import session_guard
from xobito_web.config import settings
from xobito_web.db import read_session, write_session
from xobito_web.models import UserSession
from xobito_web.routes import build_api
from xobito_web.services import auth
from xobito_web.services.auth import SESSION_COOKIE
from xobito_web.state.session import SessionBinding, SessionState
from xobito_web.state.ticket_list import TicketListState

OWN = {"Accept": "application/json", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def browser(world) -> TestClient:
    return TestClient(build_api(database_url=world.url), follow_redirects=False)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, headers=OWN, **fields):
    return client.post("/acme/login", data={"email": email, "password": password, **fields}, headers=headers)


def sessions(world) -> list[UserSession]:
    with read_session(world.url) as session:
        return list(session.exec(select(UserSession)).all())


def test_signing_in_sets_an_http_only_same_site_cookie(world):
    client = browser(world)
    before = len(sessions(world))
    response = sign_in(client, world.customer.email, next="/acme/tickets/TKT-000001")
    assert response.status_code == 200 and response.json() == {"next": "/acme/tickets/TKT-000001"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    token = client.cookies[SESSION_COOKIE]
    rows = sessions(world)
    assert len(rows) == before + 1 and auth.hash_token(token) in {row.token_hash for row in rows}
    assert token not in {row.token_hash for row in rows}  # only the hash is stored


def test_the_cookie_is_secure_when_served_over_https(world, monkeypatch):
    monkeypatch.setattr(
        "xobito_web.routes.settings", dataclasses.replace(settings, base_url="https://help.example.org")
    )
    response = sign_in(browser(world), world.customer.email, headers={**OWN, "Origin": "https://help.example.org"})
    assert response.status_code == 200 and "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("next_page", "lands_on"),
    [
        ("/acme/tickets?status=closed", "/acme/tickets?status=closed"),
        ("https://evil.example.com/acme/tickets", "/acme/tickets"),
        ("//evil.example.com/acme/", "/acme/tickets"),
        ("/other/tickets", "/acme/tickets"),
        ("/acme/\\\\evil.example.com", "/acme/tickets"),
    ],
)
def test_only_pages_of_this_workspace_are_followed_after_sign_in(world, next_page, lands_on):
    response = sign_in(browser(world), world.customer.email, next=next_page)
    assert response.json() == {"next": lands_on}


def test_a_wrong_password_says_so_and_sets_nothing(world):
    client = browser(world)
    response = sign_in(client, world.customer.email, password="not the password")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "credentials", "message": auth.WRONG_CREDENTIALS, "field": ""}}
    assert "set-cookie" not in response.headers


def test_a_plain_form_post_is_redirected(world):
    client = browser(world)
    plain = {"Origin": "http://testserver"}
    ok = sign_in(client, world.customer.email, headers=plain, next="/acme/tickets/new")
    assert ok.status_code == 303 and ok.headers["location"] == "/acme/tickets/new"
    refused = sign_in(client, world.customer.email, password="nope", headers=plain)
    assert refused.status_code == 303 and refused.headers["location"] == "/acme/login?error=credentials"


@pytest.mark.parametrize(
    "foreign",
    [
        {"Origin": "https://evil.example.com"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example.com"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_another_site_cannot_sign_a_visitor_in_or_out(world, foreign):
    client = browser(world)
    assert sign_in(client, world.customer.email, headers={"Accept": "application/json", **foreign}).status_code == 403
    assert SESSION_COOKIE not in client.cookies
    sign_in(client, world.customer.email)
    before = len(sessions(world))
    out = client.post("/acme/logout", headers={"Accept": "application/json", **foreign})
    assert out.status_code == 403 and len(sessions(world)) == before


def test_an_oversized_sign_in_is_refused_unread(world):
    response = browser(world).post("/acme/login", content=b"email=" + b"a" * 100_000, headers=OWN)
    assert response.status_code == 413


def test_signing_out_ends_the_session_and_clears_the_cookie(world):
    client = browser(world)
    sign_in(client, world.customer.email)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/acme/logout", headers=OWN)
    assert response.status_code == 200 and response.json() == {"next": "/acme/login"}
    assert 'xobito_session=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    with read_session(world.url) as session:
        assert auth.resolve_session(session, token, "acme") is None


# --- session_guard ----------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.scopes = []

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(app, path: str, headers: dict[str, str], method: str = "GET") -> int:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "path": path,
        "method": method,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_the_socket_handshake_carries_only_the_hash_of_the_session():
    inner = Recorder()
    call(session_guard.guard(inner), "/_event/", {"Cookie": f"theme=dark; {SESSION_COOKIE}=raw-secret-token; a=b"})
    cookie = dict(inner.scopes[0]["headers"])[b"cookie"].decode()
    assert "raw-secret-token" not in cookie
    assert cookie == f"theme=dark; {SESSION_COOKIE}={auth.hash_token('raw-secret-token')}; a=b"


@pytest.fixture
def guarded(world, app_database):
    token = run_sign_in(world)
    session_guard.bindings().bind("tab-token", auth.hash_token(token))
    return token


def run_sign_in(world) -> str:
    response = sign_in(browser(world), world.customer.email)
    return response.cookies[SESSION_COOKIE]


def upload(token: str | None, client_token: str = "tab-token", length: int = 1000) -> int:
    inner = Recorder()
    headers = {"Content-Length": str(length), "reflex-client-token": client_token}
    if token is not None:
        headers["Cookie"] = f"{SESSION_COOKIE}={token}"
    return call(session_guard.guard(inner), "/_upload", headers, method="POST")


def test_an_upload_needs_the_session_of_the_tab_it_names(world, guarded):
    assert upload(guarded) == 200
    assert upload(None) == 403  # the client token alone is no credential
    assert upload(guarded, client_token="someone-elses-tab") == 403
    other = sign_in(browser(world), world.other_customer.email).cookies[SESSION_COOKIE]
    assert upload(other) == 403  # a session of its own, but not the one of that tab


def test_an_upload_is_refused_by_its_size_before_it_is_read(guarded):
    assert upload(guarded, length=session_guard.MAX_UPLOAD_BYTES + 1) == 413
    inner = Recorder()
    no_length = call(session_guard.guard(inner), "/_upload", {"Cookie": f"{SESSION_COOKIE}={guarded}"}, "POST")
    assert no_length == 411 and inner.scopes == []


def test_an_upload_of_an_ended_session_is_refused(world, guarded):
    with write_session(world.url) as session:
        auth.sign_out(session, guarded)
    assert upload(guarded) == 403


def test_a_new_connection_with_another_session_never_sees_the_screens_of_the_last_one(world, app_database):
    first = run_sign_in(world)
    tab = open_tab(TicketListState, "/acme/tickets", first)
    root = tab._get_root_state()
    run(root.get_state(SessionState))._bound_session = auth.hash_token(first)
    tab.rows = ["something only Carol may see"]  # type: ignore[list-item]  # any content stands for her rows
    someone_else = {"cookie": f"{SESSION_COOKIE}={auth.hash_token('someone else')}"}
    hydrate = Event(
        name="reflex___state____state.hydrate_and_load", router_data={"headers": someone_else, "token": "t"}
    )
    run(SessionBinding().preprocess(None, root, hydrate))  # type: ignore[arg-type]  # it does not use the app
    assert tab.rows == []
    assert session_guard.bindings().session_of("t") == auth.hash_token("someone else")
