"""The ticket list: filters live in the URL query, so a view can be bookmarked and shared."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

import reflex as rx

from xobito_web.db import read_session
from xobito_web.formatting import PRIORITY_LABELS, STATUS_LABELS, exact_time, relative_time, waiting_label
from xobito_web.services import tickets, workspaces
from xobito_web.services.auth import CurrentUser
from xobito_web.state.live import LiveBatch
from xobito_web.state.session import SessionState


@dataclass(frozen=True)
class ListRow:
    ref: str
    href: str
    subject: str
    department: str
    priority: str
    priority_label: str
    status: str
    status_label: str
    waiting: str
    last_activity: str
    last_activity_exact: str
    customer_name: str
    assignee_name: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ListPage:
    rows: list[ListRow]
    next_cursor: str
    departments: list[Choice]


def list_department_choices(session, workspace_id: int) -> list[Choice]:
    """The workspace's departments as choices for a select (filters, new ticket, assignment)."""
    return [Choice(str(d.id), d.name) for d in workspaces.list_departments(session, workspace_id)]


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


def _read_page(user: CurrentUser, filters: tickets.TicketFilter, after: str | None) -> ListPage:
    with read_session() as session:
        page = tickets.list_tickets(session, user, filters, after=after)
        departments = list_department_choices(session, user.workspace_id)
    return ListPage([_row(user.subdomain, row) for row in page.rows], page.next_cursor or "", departments)


def _row(subdomain: str, row: tickets.TicketRow) -> ListRow:
    return ListRow(
        ref=row.ref,
        href=f"/{subdomain}/tickets/{row.ref}",
        subject=row.subject,
        department=row.department,
        priority=row.priority,
        priority_label=PRIORITY_LABELS.get(row.priority, row.priority),
        status=row.status,
        status_label=STATUS_LABELS.get(row.status, row.status),
        waiting=waiting_label(row.waiting_on),
        last_activity=relative_time(row.last_reply_at),
        last_activity_exact=exact_time(row.last_reply_at),
        customer_name=row.customer_name,
        assignee_name=row.assignee_name,
    )


class TicketListState(SessionState):
    rows: list[ListRow] = []
    departments: list[Choice] = []
    selected_statuses: list[str] = list(tickets.DEFAULT_STATUSES)
    selected_priority: str = ""
    selected_department: str = ""
    search: str = ""
    assigned_to_me: bool = False
    next_cursor: str = ""
    has_previous: bool = False
    loaded: bool = False
    # Cursors of the pages before this one, to walk back without a "before" query.
    _previous_cursors: list[str] = []
    _after: str = ""  # this page's cursor, to re-read the same page on a live change

    @rx.event
    def load(self):
        user, redirect = self._require_sign_in()
        if user is None:
            return redirect
        query = self.router.url.query_parameters
        statuses = _split(query.get("status", ",".join(tickets.DEFAULT_STATUSES)))
        self.selected_statuses = [s for s in statuses if s in STATUS_LABELS or s == "all"]
        self.selected_priority = query.get("priority", "") if query.get("priority", "") in PRIORITY_LABELS else ""
        self.selected_department = query.get("department", "") if query.get("department", "").isdigit() else ""
        self.search = query.get("q", "")
        self.assigned_to_me = query.get("mine", "") == "1"
        after = query.get("after", "") or None
        if after is None:
            self._previous_cursors = []
        self.has_previous = after is not None
        self._after = after or ""
        self._watch(user)
        self._show_page(_read_page(user, self._filters(), after))
        return None

    async def apply_live_change(self, batch: LiveBatch) -> None:
        """Someone changed a ticket: re-read this very page (filters, page and scroll stay).

        Tabs of one user showing the same page share one read."""
        user = await self._live_user(batch)
        if user is None:
            self._unwatch()
            return
        filters, after = self._filters(), self._after or None
        self._show_page(
            await batch.read(("list", user.user_id, filters, after), partial(_read_page, user, filters, after))
        )

    def _filters(self) -> tickets.TicketFilter:
        statuses = () if "all" in self.selected_statuses else tuple(self.selected_statuses)
        return tickets.TicketFilter(
            statuses=statuses,
            priorities=(self.selected_priority,) if self.selected_priority else (),
            department_ids=(int(self.selected_department),) if self.selected_department else (),
            search=self.search,
            assigned_to_me=self.assigned_to_me,
        )

    def _show_page(self, page: ListPage) -> None:
        self._assign(rows=page.rows, next_cursor=page.next_cursor, departments=page.departments, loaded=True)

    def _url(self, after: str = "", **changes) -> str:
        params = {
            "status": ",".join(changes.get("statuses", self.selected_statuses)),
            "priority": changes.get("priority", self.selected_priority),
            "department": changes.get("department", self.selected_department),
            "q": changes.get("search", self.search),
            "mine": "1" if changes.get("mine", self.assigned_to_me) else "",
            "after": after,
        }
        if params["status"] == ",".join(tickets.DEFAULT_STATUSES):
            params["status"] = ""
        query = urlencode({key: value for key, value in params.items() if value})
        return f"/{self._subdomain()}/tickets" + (f"?{query}" if query else "")

    @rx.event
    def toggle_status(self, status: str):
        chosen = [s for s in self.selected_statuses if s != "all"]
        chosen = [s for s in chosen if s != status] if status in chosen else [*chosen, status]
        if status == "all" or not chosen:
            chosen = ["all"]
        return rx.redirect(self._url(statuses=[s for s in STATUS_LABELS if s in chosen] or ["all"]))

    @rx.event
    def set_priority_filter(self, priority: str):
        return rx.redirect(self._url(priority="" if priority == "any" else priority))

    @rx.event
    def set_department_filter(self, department: str):
        return rx.redirect(self._url(department="" if department == "any" else department))

    @rx.event
    def toggle_assigned_to_me(self, checked: bool):
        return rx.redirect(self._url(mine=checked))

    @rx.event
    def clear_filters(self):
        return rx.redirect(f"/{self._subdomain()}/tickets")

    @rx.event
    def submit_search(self, form_data: dict):
        text = str(form_data.get("q", "")).strip()
        user = self.current_user()
        if user is None:
            return self.login_redirect()
        if tickets.parse_ref(text) is not None:
            with read_session() as session:
                number = tickets.find_ticket_number(session, user, text)
            if number is not None:
                return rx.redirect(f"/{self._subdomain()}/tickets/{tickets.format_ref(number)}")
        return rx.redirect(
            self._url(search=text, statuses=["all"] if tickets.parse_ref(text) else self.selected_statuses)
        )

    @rx.event
    def next_page(self):
        if not self.next_cursor:
            return None
        self._previous_cursors.append(self.router.url.query_parameters.get("after", ""))
        return rx.redirect(self._url(after=self.next_cursor))

    @rx.event
    def previous_page(self):
        previous = self._previous_cursors.pop() if self._previous_cursors else ""
        return rx.redirect(self._url(after=previous))

    @rx.var
    def filters_active(self) -> bool:
        return bool(
            self.selected_priority
            or self.selected_department
            or self.search
            or self.assigned_to_me
            or sorted(self.selected_statuses) != sorted(tickets.DEFAULT_STATUSES)
        )

    @rx.var
    def new_ticket_href(self) -> str:
        return f"/{self.workspace_subdomain}/tickets/new"
