"""Concurrency (issue 7, part 3): many open ticket views on one process, and many people replying.

Production build, one app process, SQLite. The clients are light: each speaks the Reflex
frontend's own wire protocol (a socket.io connection to /_event whose CONNECT packet carries the
hydrate event, as .web/utils/state.js sends it; replies are POSTed to /_upload as the Send Reply
button does). The hydrate packet is captured once from a real Chromium tab, so it matches the
build; every light client uses it with a token of its own, i.e. each is a separate browser tab
to the server (its own state, its own live-update registration).

Phase 1, for each N (default 100 and 500) and each U of --users (default 1 and 50): N tabs open
  the same ticket view, signed in as U different admins (tab i as admin i mod U). A live refresh
  reads the thread once per user and change, so U matters as much as N.
  - server RSS before / after connecting (the whole process session: `reflex run` and its
    worker), and per connected client;
  - one admin posts a reply (HTTP, like Send Reply): post -> the reply has reached every one of
    the N tabs (the slowest), and the per-tab arrival times (median / p95), over a few replies.
Phase 2, for each M (default 10 and 50): M admin tabs, each on a ticket of its own, post replies
  back to back for --seconds (60): replies per second, latency per reply (post -> the tab got
  the new, empty composer), errors, then a check in the database that every reply posted is
  stored exactly once and its notification email queued exactly once.

    .venv/bin/python -m bench.concurrency [--clients 100,500] [--posters 10,50] [--seconds 60] [--port 3050]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
import uuid

import httpx
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

from bench.common import (
    SESSION_COOKIE,
    ServerMemory,
    bench_app,
    create_thread,
    launch_chromium,
    people,
    report,
    session_cookies,
    signed_in_context,
    write_results,
)
from tests.e2e.conftest import make_workspace
from xobito_web.services import tickets

NONCE = re.compile(r'"composer_nonce_rx_state_":"([^"]+)"')
REPLY_ERROR = re.compile(r'"reply_error_rx_state_":"([^"]+)"')
HYDRATED = '"is_hydrated_rx_state_":true'
NAMESPACE = "/_event"


class Tab:
    """One browser tab as the server sees it: a socket.io connection with its own token."""

    def __init__(self, port: int, auth: dict, subprotocol: str):
        self.port, self.auth, self.subprotocol = port, auth, subprotocol
        self.token = str(uuid.uuid4())
        self.hydrated = asyncio.Event()
        self.changed = asyncio.Event()  # set on every message that changes nonce or error
        self.nonce = ""
        self.reply_error = ""
        self.watching: dict[str, float | None] = {}  # marker -> perf_counter when first seen
        self.all_seen: asyncio.Event | None = None
        self.failure = ""
        self.messages = 0
        self._writer: asyncio.StreamWriter | None = None
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._task: asyncio.Task[None] | None = None

    async def connect(self, timeout: float = 60) -> None:
        reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._send_raw(
            self._ws.send(
                Request(
                    host=f"localhost:{self.port}",
                    target=f"{NAMESPACE}/?token={self.token}&EIO=4&transport=websocket",
                    subprotocols=[self.subprotocol],
                    extra_headers=[(b"origin", f"http://localhost:{self.port}".encode())],
                )
            )
        )
        self._task = asyncio.create_task(self._read(reader))
        await asyncio.wait_for(self.hydrated.wait(), timeout)

    def _send_raw(self, data: bytes) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    def _send(self, text: str) -> None:
        from wsproto.events import Message

        self._send_raw(self._ws.send(Message(data=text)))

    async def _read(self, reader) -> None:
        parts: list[str] = []
        try:
            while data := await reader.read(65536):
                self._ws.receive_data(data)
                for event in self._ws.events():
                    if isinstance(event, TextMessage):
                        parts.append(event.data)
                        if event.message_finished:
                            self._on_text("".join(parts))
                            parts = []
                    elif isinstance(event, Ping):
                        self._send_raw(self._ws.send(event.response()))
                    elif isinstance(event, RejectConnection):
                        self.failure = f"rejected: HTTP {event.status_code}"
                        self.hydrated.set()
                        return
                    elif isinstance(event, CloseConnection):
                        return
                    elif isinstance(event, AcceptConnection):
                        pass
        except (ConnectionError, asyncio.CancelledError):
            return

    def _on_text(self, text: str) -> None:
        if text.startswith("0"):  # Engine.IO open: join the namespace, the hydrate event riding along
            self._send(f"40{NAMESPACE}," + json.dumps(self.auth, separators=(",", ":")))
        elif text == "2":
            self._send("3")
        elif text.startswith(f"42{NAMESPACE},"):
            self.messages += 1
            now = time.perf_counter()
            for marker, seen in self.watching.items():
                if seen is None and marker in text:
                    self.watching[marker] = now
                    if self.all_seen is not None and all(value is not None for value in self.watching.values()):
                        self.all_seen.set()
            self._note(text)
            if HYDRATED in text:
                self.hydrated.set()
        elif text.startswith(f"44{NAMESPACE}"):
            self.failure = f"connect refused: {text[:200]}"
            self.hydrated.set()

    def _note(self, text: str) -> None:
        found = NONCE.search(text)
        if found and found.group(1) != self.nonce:
            self.nonce = found.group(1)
            self.changed.set()
        error = REPLY_ERROR.search(text)
        if error:
            self.reply_error = error.group(1)
            self.changed.set()

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed
            self._send_raw(self._ws.send(CloseConnection(code=1000)))
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "----xobitobench" + uuid.uuid4().hex
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        + f"--{boundary}--\r\n"
    )
    return body.encode(), f"multipart/form-data; boundary={boundary}"


async def post_reply(
    http: httpx.AsyncClient, base_url: str, handler: str, tab: Tab, text: str, timeout: float = 60
) -> str:
    """Send Reply as the button does; '' once the tab shows a new, empty composer, else the error."""
    old_nonce = tab.nonce
    tab.changed.clear()
    tab.reply_error = ""
    body, content_type = multipart(
        {"__reflex_event_args": json.dumps({"form_data": {"body": text, "nonce": old_nonce, "reply_body": text}})}
    )
    response = await http.post(
        f"{base_url}/_upload",
        content=body,
        headers={
            "Content-Type": content_type,
            "Reflex-Client-Token": tab.token,
            "Reflex-Event-Handler": handler,
        },
        timeout=timeout,
    )
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    tab._note(response.text)  # in case the updates came back in the response
    deadline = time.perf_counter() + timeout
    while tab.nonce == old_nonce and not tab.reply_error:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return "timeout"
        tab.changed.clear()
        try:
            await asyncio.wait_for(tab.changed.wait(), remaining)
        except TimeoutError:
            return "timeout"
    return tab.reply_error


def capture_hydrate(base_url: str, cookies: list[dict], url: str) -> dict:
    """The CONNECT packet's payload (hydrate event + state schema) a real tab sends for `url`."""
    from playwright.sync_api import sync_playwright

    frames: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = signed_in_context(browser, cookies).new_page()
        page.on(
            "websocket",
            lambda ws: ws.on("framesent", lambda frame: frames.append(frame) if isinstance(frame, str) else None),
        )
        page.goto(url)
        page.wait_for_selector("#thread")
        browser.close()
    connect = next(frame for frame in frames if frame.startswith(f"40{NAMESPACE},"))
    return json.loads(connect[len(f"40{NAMESPACE},") :])


def auth_for(template: dict, subdomain: str, ref: str, cookie: tuple[str, str] | None = None) -> dict:
    """The CONNECT payload for another ticket, and optionally another user's session cookie."""
    text = json.dumps(template)
    if cookie is not None:
        captured, replacement = cookie
        text = text.replace(captured, replacement)
    auth = json.loads(text)
    path = f"/{subdomain}/tickets/{ref}"
    auth["event"]["router_data"] = {"pathname": path, "asPath": path, "query": {"subdomain": subdomain, "ticket": ref}}
    return auth


async def connect_all(tabs: list[Tab], parallel: int = 10) -> list[float]:
    gate = asyncio.Semaphore(parallel)
    times: list[float] = []

    async def one(tab: Tab) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                await tab.connect()
            except (TimeoutError, OSError) as error:
                tab.failure = tab.failure or f"{type(error).__name__}"
            times.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(one(tab) for tab in tabs))
    return times


async def fan_out_phase(
    app, memory: ServerMemory, handler: str, auths: list[dict], subprotocol: str, clients: int, replies: int
) -> dict:
    """`auths`: one CONNECT payload per signed-in user; tab i uses auths[i % len(auths)]."""
    await asyncio.sleep(2)
    auth = auths[0]
    before_tree, before_worker = memory.tree_mb(), memory.worker_mb()
    watchers = [Tab(app.port, auths[index % len(auths)], subprotocol) for index in range(clients)]
    started = time.perf_counter()
    connect_ms = await connect_all(watchers)
    connect_seconds = time.perf_counter() - started
    failed = [tab.failure for tab in watchers if tab.failure]
    await asyncio.sleep(3)
    after_tree, after_worker = memory.tree_mb(), memory.worker_mb()
    connected = clients - len(failed)
    print(
        f"\n{clients} tabs on one ticket view, {len(auths)} different users: {connected} hydrated in {connect_seconds:.1f} s, "
        f"{len(failed)} failed {failed[:3]}",
        flush=True,
    )
    print(
        f"  server RSS (process tree) {before_tree:7.1f} MB -> {after_tree:7.1f} MB: "
        f"{(after_tree - before_tree) * 1024 / max(connected, 1):6.1f} KB per tab",
        flush=True,
    )
    print(
        f"  server RSS (worker only)  {before_worker:7.1f} MB -> {after_worker:7.1f} MB: "
        f"{(after_worker - before_worker) * 1024 / max(connected, 1):6.1f} KB per tab",
        flush=True,
    )
    connect_figures = report(f"  connect + hydrate one tab ({clients} at once, 10 in flight)", connect_ms)

    sender = Tab(app.port, auth, subprotocol)
    await sender.connect()
    all_arrivals, slowest, missing_total = [], [], 0
    cpu_busy = []
    async with httpx.AsyncClient() as http:
        for run in range(replies + 1):
            marker = f"fan-out-marker-{clients}-{run}"
            live = [tab for tab in watchers if not tab.failure]
            done = asyncio.Event()
            for tab in live:
                tab.watching = {marker: None}
                tab.all_seen = None
            waiting = {"left": len(live)}

            def seen_one(waiting=waiting, done=done):
                waiting["left"] -= 1
                if waiting["left"] == 0:
                    done.set()

            for tab in live:
                tab.all_seen = _Counter(seen_one)
            cpu_before = memory.cpu_seconds()
            posted = time.perf_counter()
            error = await post_reply(http, app.base_url, handler, sender, f"Everyone should see {marker}.")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 60)
            if run > 0:
                cpu_busy.append(100 * (memory.cpu_seconds() - cpu_before) / (time.perf_counter() - posted))
            arrivals = [(seen - posted) * 1000 for tab in live if (seen := tab.watching[marker]) is not None]
            missing = len(live) - len(arrivals)
            if run == 0:
                continue  # warm-up
            missing_total += missing
            all_arrivals.extend(arrivals)
            slowest.append(max(arrivals) if arrivals else float("nan"))
            print(
                f"  reply {run}: reached {len(arrivals)}/{len(live)} tabs, the last after {max(arrivals) if arrivals else float('nan'):.0f} ms"
                + (f" (post error: {error})" if error else ""),
                flush=True,
            )
            await asyncio.sleep(1)
    slowest_figures = report(f"  post -> reply reached ALL {connected} tabs", slowest)
    arrival_figures = report(f"  post -> reply reached a tab (each of {connected} tabs, all replies)", all_arrivals)
    cpu_figures = report("  server CPU while the reply spreads (% of one core)", cpu_busy, unit="% ")
    await sender.close()
    for tab in watchers:
        await tab.close()
    await asyncio.sleep(3)
    after_close_tree = memory.tree_mb()
    print(f"  server RSS after the {clients} tabs closed: {after_close_tree:.1f} MB", flush=True)
    return {
        "clients": clients,
        "users": len(auths),
        "connected": connected,
        "failed": len(failed),
        "connect_seconds": round(connect_seconds, 1),
        "connect_ms": connect_figures,
        "rss_tree_mb_before": round(before_tree, 1),
        "rss_tree_mb_after": round(after_tree, 1),
        "rss_worker_mb_before": round(before_worker, 1),
        "rss_worker_mb_after": round(after_worker, 1),
        "kb_per_client_tree": round((after_tree - before_tree) * 1024 / max(connected, 1), 1),
        "kb_per_client_worker": round((after_worker - before_worker) * 1024 / max(connected, 1), 1),
        "rss_tree_mb_after_close": round(after_close_tree, 1),
        "server_cpu_percent_while_spreading": cpu_figures,
        "reply_to_all_ms": slowest_figures,
        "reply_to_each_ms": arrival_figures,
        "missed_deliveries": missing_total,
    }


class _Counter(asyncio.Event):
    """Stands in for all_seen: calls back once when the tab's marker arrives."""

    def __init__(self, callback):
        super().__init__()
        self._callback = callback

    def set(self) -> None:
        if not self.is_set():
            super().set()
            self._callback()


async def posting_phase(
    app, memory: ServerMemory, handler: str, auth_of, subprotocol: str, posters: int, numbers: list[int], seconds: float
) -> tuple[dict, list[str]]:
    tabs = [Tab(app.port, auth_of(number), subprotocol) for number in numbers]
    await connect_all(tabs)
    failed = [tab.failure for tab in tabs if tab.failure]
    if failed:
        print(f"  {len(failed)} poster tabs failed to connect: {failed[:3]}")
    latencies, errors, posted = [], [], []
    stop_at = time.perf_counter() + seconds

    async def poster(index: int, tab: Tab, http) -> None:
        sequence = 0
        while time.perf_counter() < stop_at:
            text = f"Concurrent reply cc-{posters}-{index}-{sequence} end."
            started = time.perf_counter()
            try:
                error = await post_reply(http, app.base_url, handler, tab, text)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}"
            if error:
                errors.append(error)
                posted.append(text)  # may or may not be stored: counted in the check below
            else:
                latencies.append((time.perf_counter() - started) * 1000)
                posted.append(text)
            sequence += 1

    peak = {"tree": memory.tree_mb()}

    async def sample() -> None:
        while time.perf_counter() < stop_at:
            peak["tree"] = max(peak["tree"], memory.tree_mb())
            await asyncio.sleep(0.5)

    started, cpu_before = time.perf_counter(), memory.cpu_seconds()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=posters + 10)) as http:
        await asyncio.gather(sample(), *(poster(index, tab, http) for index, tab in enumerate(tabs) if not tab.failure))
    elapsed = time.perf_counter() - started
    cpu_percent = 100 * (memory.cpu_seconds() - cpu_before) / elapsed
    for tab in tabs:
        await tab.close()
    ok = len(latencies)
    print(
        f"\n{posters} tabs posting replies for {elapsed:.0f} s (each on its own ticket): "
        f"{ok} replies, {ok / elapsed:.1f} replies/s, {len(errors)} errors {sorted(set(errors))[:5]}",
        flush=True,
    )
    latency_figures = report("  Send Reply -> new empty composer (per reply)", latencies)
    print(
        f"  server CPU during the run: {cpu_percent:.0f}% of one core (the machine has {__import__('os').cpu_count()})",
        flush=True,
    )
    return {
        "posters": posters,
        "seconds": round(elapsed, 1),
        "replies_ok": ok,
        "replies_per_second": round(ok / elapsed, 2),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "latency_ms": latency_figures,
        "rss_tree_peak_mb": round(peak["tree"], 1),
        "server_cpu_percent": round(cpu_percent, 1),
    }, posted


def check_stored(database_url: str, workspace_id: int, numbers: list[int], posted: list[str], ok: int) -> dict:
    """Every posted reply stored exactly once, and its email (to the customer) queued exactly once."""
    from sqlmodel import col, select

    from xobito_web.db import read_session
    from xobito_web.models import OutboxEmail, Reply, Ticket

    with read_session(database_url) as session:
        ticket_ids = list(
            session.exec(
                select(col(Ticket.id)).where(col(Ticket.workspace_id) == workspace_id, col(Ticket.number).in_(numbers))
            ).all()
        )
        bodies = list(
            session.exec(
                select(col(Reply.body)).where(
                    col(Reply.ticket_id).in_(ticket_ids), col(Reply.body).like("Concurrent reply cc-%")
                )
            ).all()
        )
        emails = list(
            session.exec(
                select(OutboxEmail.body).where(
                    col(OutboxEmail.ticket_id).in_(ticket_ids), col(OutboxEmail.event) == "reply_posted"
                )
            ).all()
        )
    stored: dict[str, int] = {}
    for body in bodies:
        stored[body] = stored.get(body, 0) + 1
    email_text = "\n".join(emails)
    duplicates = sum(1 for count in stored.values() if count > 1)
    confirmed_missing = sum(1 for text in posted[:] if text not in stored)
    emails_per_reply: dict[int, int] = {}
    for text in stored:
        emails_per_reply[email_text.count(text)] = emails_per_reply.get(email_text.count(text), 0) + 1
    result = {
        "posted_attempts": len(posted),
        "confirmed_ok": ok,
        "stored_replies": len(bodies),
        "distinct_stored": len(stored),
        "stored_twice_or_more": duplicates,
        "attempts_not_stored": confirmed_missing,
        "reply_posted_emails": len(emails),
        "stored_replies_by_email_count": {str(k): v for k, v in sorted(emails_per_reply.items())},
    }
    exact = duplicates == 0 and len(emails) == len(bodies) and set(emails_per_reply) <= {1}
    print(
        f"  check: {len(posted)} posts, {len(bodies)} stored ({duplicates} more than once), "
        f"{len(emails)} reply emails queued; replies by number of emails carrying their text: {result['stored_replies_by_email_count']}"
        f" -> {'exactly once each' if exact else 'NOT exactly once'}",
        flush=True,
    )
    result["exactly_once"] = exact
    return result


async def run(
    app,
    args,
    workspace,
    users,
    long_ref: str,
    auth_template: dict,
    subprotocol: str,
    handler: str,
    poster_numbers: dict,
    cookie_swaps: list[tuple[str, str] | None],
) -> dict:
    memory = ServerMemory(app.port)
    print("server processes:\n" + memory.describe(), flush=True)
    results: dict[str, list] = {"fan_out": [], "posting": []}
    for user_count in args.users:
        auths = [auth_for(auth_template, workspace.subdomain, long_ref, swap) for swap in cookie_swaps[:user_count]]
        for clients in args.clients:
            results["fan_out"].append(
                await fan_out_phase(app, memory, handler, auths, subprotocol, clients, args.replies)
            )
    admin = users[workspace.admin]
    for posters in args.posters:
        numbers = poster_numbers[posters]
        figures, posted = await posting_phase(
            app,
            memory,
            handler,
            lambda number: auth_for(auth_template, workspace.subdomain, tickets.format_ref(number)),
            subprotocol,
            posters,
            numbers,
            args.seconds,
        )
        await asyncio.sleep(2)
        figures["check"] = check_stored(app.database_url, admin.workspace_id, numbers, posted, figures["replies_ok"])
        results["posting"].append(figures)
    return results


def extra_admins(database_url: str, workspace, count: int) -> list[str]:
    """`count` more admins of the workspace, signed in: their session tokens (cookie values)."""
    from xobito_web.db import write_session
    from xobito_web.services import auth, workspaces

    tokens = []
    with write_session(database_url) as session:
        created = workspaces.get_workspace(session, workspace.subdomain)
        for index in range(count):
            workspaces.create_user(
                session, created, f"admin{index}@bench.example.com", f"Admin {index}", "admin", workspace.password, ()
            )
    for index in range(count):
        token, _user = auth.sign_in(
            workspace.subdomain, f"admin{index}@bench.example.com", workspace.password, database_url=database_url
        )
        tokens.append(token)
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="100,500", help="open ticket views, comma-separated counts")
    parser.add_argument("--posters", default="3,10,50", help="tabs posting at once, comma-separated counts")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--replies", type=int, default=5, help="fan-out replies per N")
    parser.add_argument("--users", default="1,50", help="different signed-in admins among the N tabs, comma-separated")
    parser.add_argument("--port", type=int, default=3050)
    args = parser.parse_args()
    args.clients = [int(value) for value in args.clients.split(",") if value]
    args.posters = [int(value) for value in args.posters.split(",") if value]
    args.users = [int(value) for value in args.users.split(",") if value]

    from reflex import constants

    from xobito_web.state.ticket_view import TicketViewState

    handler = f"{TicketViewState.get_full_name()}.send_reply"
    subprotocol = constants.Reflex.VERSION
    with bench_app(args.port) as app:
        app_port = args.port
        workspace = make_workspace(app.database_url, "concurrency bench")
        users = people(app.database_url, workspace.subdomain)
        admin, customer = users[workspace.admin], users[workspace.customer]
        watched = create_thread(app.database_url, customer, admin, "Everyone is watching", 10)
        poster_numbers = {
            m: [create_thread(app.database_url, customer, admin, f"Posting bench {m}-{i}", 0) for i in range(m)]
            for m in args.posters
        }
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            cookies = session_cookies(browser, app.base_url, workspace.admin, workspace.password, workspace.subdomain)
            browser.close()
        long_ref = tickets.format_ref(watched)
        captured = next(cookie["value"] for cookie in cookies if cookie["name"] == SESSION_COOKIE)
        cookie_swaps = [None] + [
            (captured, token) for token in extra_admins(app.database_url, workspace, max(args.users) - 1)
        ]
        template = capture_hydrate(app.base_url, cookies, f"{app.base_url}/{workspace.subdomain}/tickets/{long_ref}")
        print(f"hydrate packet captured ({len(json.dumps(template))} characters), handler {handler}", flush=True)
        app_with_port = type("App", (), {"port": app_port, "base_url": app.base_url, "database_url": app.database_url})
        results = asyncio.run(
            run(
                app_with_port,
                args,
                workspace,
                users,
                long_ref,
                template,
                subprotocol,
                handler,
                poster_numbers,
                cookie_swaps,
            )
        )
    write_results(
        "concurrency",
        {
            "settings": {
                "clients": args.clients,
                "users": args.users,
                "posters": args.posters,
                "seconds": args.seconds,
            },
            **results,
        },
    )


if __name__ == "__main__":
    main()
