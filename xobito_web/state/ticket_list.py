"""The ticket list: filters live in the URL query, so a view can be bookmarked and shared."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import reflex as rx

from xobito_web import urls
from xobito_web.db import read_session
from xobito_web.formatting import PRIORITY_LABELS, STATUS_LABELS, iso_time, relative_time, waiting_label
from xobito_web.services import auth, search, tickets, unread, workspaces
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.ids import as_id, format_ref, parse_ref
from xobito_web.state.live import LiveBatch
from xobito_web.state.session import PageRequest, SessionState, read_visitor


@dataclass(frozen=True)
class Mark:
    """A piece of a shown text; `hit` pieces are words the search matched (shown highlighted)."""

    text: str
    hit: bool


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
    unread: bool
    subject_marks: list[Mark]  # empty unless searching
    snippet: list[Mark]  # a piece of the best-matching message, empty unless searching


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ListPage:
    rows: list[ListRow]
    next_cursor: str
    departments: list[Choice]
    count_label: str  # "1–25 of 1,234"
    unread_count: int


SORT_LABELS = {"activity": "Last activity", "created": "Created", "priority": "Priority"}


@dataclass(frozen=True)
class ListFilters:
    """The list's filters as the URL query holds them (bounded, unknown values dropped)."""

    statuses: tuple[str, ...] = tickets.DEFAULT_STATUSES  # ("all",) for every status
    priority: str = ""
    department: str = ""
    search: str = ""
    mine: bool = False
    waiting: bool = False  # Waiting on team (the team's list only)
    sort: str = "activity"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ListFilters:
        statuses = tuple(s for s in _split(query.get("status", "")[:64]) if s in STATUS_LABELS or s == "all")
        if "status" not in query:
            statuses = tickets.DEFAULT_STATUSES
        priority = query.get("priority", "")
        department = query.get("department", "")
        return cls(
            statuses=statuses or ("all",),
            priority=priority if priority in PRIORITY_LABELS else "",
            department=department if as_id(department) is not None else "",
            search=query.get("q", "")[: tickets.MAX_SEARCH_LENGTH],
            mine=query.get("mine", "") == "1",
            waiting=query.get("waiting", "") == "1",
            sort=query.get("sort", "") if query.get("sort", "") in SORT_LABELS else "activity",
        )

    def for_service(self) -> tickets.TicketFilter:
        return tickets.TicketFilter(
            statuses=() if "all" in self.statuses or not self.statuses else self.statuses,
            priorities=(self.priority,) if self.priority else (),
            department_ids=(int(self.department),) if self.department else (),
            search=self.search,
            assigned_to_me=self.mine,
            waiting_on_team=self.waiting,
            sort=self.sort,
        )

    def query(self, after: str = "") -> dict[str, str]:
        statuses = ",".join(self.statuses) or "all"
        return {
            "status": "" if statuses == ",".join(tickets.DEFAULT_STATUSES) else statuses,
            "priority": self.priority,
            "department": self.department,
            "q": self.search,
            "mine": "1" if self.mine else "",
            "waiting": "1" if self.waiting else "",
            "sort": "" if self.sort == "activity" else self.sort,
            "after": after,
        }


@dataclass(frozen=True)
class ListRequest(PageRequest):
    filters: ListFilters
    after: str | None


@dataclass(frozen=True)
class ListResult:
    visitor: Visitor
    page: ListPage | None


def list_department_choices(
    session, workspace_id: int, include_archived: bool = False, keep_id: int | None = None
) -> list[Choice]:
    """The workspace's departments as choices for a select. New tickets and assignment offer the
    open ones (and `keep_id`, the ticket's own); the list filter the archived ones too."""
    return [
        Choice(str(d.id), f"{d.name} (archived)" if d.archived else d.name)
        for d in workspaces.list_departments(session, workspace_id)
        if include_archived or not d.archived or d.id == keep_id
    ]


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


def read_list_page(user: CurrentUser, filters: ListFilters, after: str | None, session=None) -> ListPage:
    if session is None:
        with read_session() as own_session:
            return read_list_page(user, filters, after, own_session)
    wanted = filters.for_service()
    page = tickets.list_tickets(session, user, wanted, after=after)
    total = tickets.count_tickets(session, user, wanted) if page.rows else 0
    departments = list_department_choices(session, user.workspace_id, include_archived=True)
    return ListPage(
        [_row(user.subdomain, row) for row in page.rows],
        page.next_cursor or "",
        departments,
        count_label(page.first, len(page.rows), total),
        tickets.count_unread(session, user, wanted),
    )


def count_label(first: int, shown: int, total: int | None) -> str:
    """ "1–25 of 1,234", "1–25 of many" past the count's cap; "" for an empty page."""
    if not shown:
        return ""
    return f"{first:,}–{first + shown - 1:,} of {'many' if total is None else f'{total:,}'}"


def _marks(pieces) -> list[Mark]:
    return [Mark(piece.text, piece.hit) for piece in pieces]


def _row(subdomain: str, row: tickets.TicketRow) -> ListRow:
    return ListRow(
        ref=row.ref,
        href=urls.ticket(subdomain, row.ref),
        subject=row.subject,
        department=row.department,
        priority=row.priority,
        priority_label=PRIORITY_LABELS.get(row.priority, row.priority),
        status=row.status,
        status_label=STATUS_LABELS.get(row.status, row.status),
        waiting=waiting_label(row.waiting_on),
        last_activity=relative_time(row.last_reply_at),
        last_activity_exact=iso_time(row.last_reply_at),
        customer_name=row.customer_name,
        assignee_name=row.assignee_name,
        unread=row.unread,
        subject_marks=_marks(row.subject_pieces),
        snippet=_marks(row.snippet),
    )


def _find_ticket(session_hash: str, subdomain: str, text: str) -> int | None:
    with read_session() as session:
        user = read_visitor(session_hash, subdomain).user
        return tickets.find_ticket_number(session, user, text) if user else None


class TicketListState(SessionState):
    rows: list[ListRow] = []
    departments: list[Choice] = []
    selected_statuses: list[str] = list(tickets.DEFAULT_STATUSES)
    selected_priority: str = ""
    selected_department: str = ""
    search: str = ""
    assigned_to_me: bool = False
    waiting_on_team: bool = False
    sort: str = "activity"
    search_error: str = ""
    count_label: str = ""
    unread_count: int = 0
    next_cursor: str = ""
    has_previous: bool = False
    loaded: bool = False
    # Cursors of the pages before this one, to walk back without a "before" query.
    _previous_cursors: list[str] = []
    _after: str = ""  # this page's cursor, to re-read the same page on a live change

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    def _load_request(self) -> ListRequest:
        return self.request_for(self._page_request(), self.router.url.query_parameters)

    @staticmethod
    def request_for(page: PageRequest, query: Mapping[str, str]) -> ListRequest:
        """The list's read for an address (also made from its document request: state/prefetch.py)."""
        after = query.get("after", "")[:64] or None
        return ListRequest(**vars(page), filters=ListFilters.from_query(query), after=after)

    @classmethod
    def _read_page(cls, request: ListRequest) -> ListResult:
        with read_session() as session:
            visitor = auth.identify(session, request.session_hash, request.subdomain)
            if visitor.user is None:
                return ListResult(visitor, None)
            return ListResult(visitor, read_list_page(visitor.user, request.filters, request.after, session))

    async def _show_page(self, request: ListRequest, result: ListResult):
        redirect = self._show_visitor(result.visitor)
        if result.visitor.user is None or result.page is None:
            return redirect
        filters = request.filters
        self.selected_statuses = list(filters.statuses)
        self.selected_priority = filters.priority
        self.selected_department = filters.department
        self.search = filters.search
        self.assigned_to_me = filters.mine
        self.waiting_on_team = filters.waiting
        self.sort = filters.sort
        self.search_error = ""
        if request.after is None:
            self._previous_cursors = []
        self.has_previous = request.after is not None
        self._after = request.after or ""
        self._watch(result.visitor.user)
        self._show_list(result.page)
        return None

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        """Someone changed a ticket: re-read this very page (filters, page and scroll stay).

        Tabs of one user showing the same page share one read."""
        user = await self._live_user(batch)
        if user is None:
            self._signed_out_while_open()
            return
        if batch.change.kind == "sessions_ended":
            return
        filters, after = self._filters(), self._after or None
        page = await batch.read(("list", user.user_id, filters, after), partial(read_list_page, user, filters, after))
        self._show_list(page)

    def _filters(self) -> ListFilters:
        return ListFilters(
            statuses=tuple(self.selected_statuses),
            priority=self.selected_priority,
            department=self.selected_department,
            search=self.search,
            mine=self.assigned_to_me,
            waiting=self.waiting_on_team,
            sort=self.sort,
        )

    def _show_list(self, page: ListPage) -> None:
        self._set_if_changed(
            rows=page.rows,
            next_cursor=page.next_cursor,
            departments=page.departments,
            count_label=page.count_label,
            unread_count=page.unread_count,
            loaded=True,
        )

    def _url(self, filters: ListFilters | None = None, after: str = "") -> str:
        return urls.tickets(self.subdomain.lower(), (filters or self._filters()).query(after))

    def _with(self, **changes) -> ListFilters:
        return ListFilters(**{**vars(self._filters()), **changes})

    @rx.event
    def toggle_status(self, status: str):
        if status not in STATUS_LABELS and status != "all":
            return None
        chosen = [s for s in self.selected_statuses if s != "all"]
        chosen = [s for s in chosen if s != status] if status in chosen else [*chosen, status]
        if status == "all" or not chosen:
            chosen = ["all"]
        ordered = tuple(s for s in STATUS_LABELS if s in chosen) or ("all",)
        return rx.redirect(self._url(self._with(statuses=ordered)))

    @rx.event
    def set_priority_filter(self, priority: str):
        return rx.redirect(self._url(self._with(priority=priority if priority in PRIORITY_LABELS else "")))

    @rx.event
    def set_department_filter(self, department: str):
        return rx.redirect(self._url(self._with(department=department if as_id(department) is not None else "")))

    @rx.event
    def toggle_assigned_to_me(self, checked: bool):
        return rx.redirect(self._url(self._with(mine=bool(checked))))

    @rx.event
    def toggle_waiting_on_team(self, checked: bool):
        return rx.redirect(self._url(self._with(waiting=bool(checked))))

    @rx.event
    def set_sort(self, sort: str):
        return rx.redirect(self._url(self._with(sort=sort if sort in SORT_LABELS else "activity")))

    @rx.event
    def clear_filters(self):
        return rx.redirect(urls.tickets(self.subdomain.lower()))

    @rx.event(background=True)
    async def submit_search(self, form_data: dict):
        text = str(form_data.get("q", "")).strip()
        if len(text) > tickets.MAX_SEARCH_LENGTH:
            async with self:
                self.search_error = search.TOO_LONG
            return None
        async with self:
            self.search_error = ""
            session_hash, subdomain = self._visitor_request()
            filters = self._filters()
        if parse_ref(text) is not None:
            number = await asyncio.to_thread(_find_ticket, session_hash, subdomain, text)
            if number is not None:
                return rx.redirect(urls.ticket(subdomain, format_ref(number)))
            # An ID that is not found: show it searched in every status (and say nothing matches).
            filters = ListFilters(**{**vars(filters), "statuses": ("all",)})
        return rx.redirect(urls.tickets(subdomain, ListFilters(**{**vars(filters), "search": text}).query()))

    @rx.event
    def next_page(self):
        if not self.next_cursor:
            return None
        self._previous_cursors.append(self.router.url.query_parameters.get("after", "")[:64])
        del self._previous_cursors[:-100]
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
            or self.waiting_on_team
            or sorted(self.selected_statuses) != sorted(tickets.DEFAULT_STATUSES)
        )

    @rx.var
    def tab_title(self) -> str:
        """The browser tab: the unread count first, so it shows in a crowded tab bar (the page
        frame adds the workspace's name)."""
        title = "Tickets"
        if not self.unread_count:
            return title
        more = "+" if self.unread_count >= unread.COUNT_WINDOW else ""
        return f"({self.unread_count:,}{more}) {title}"
