"""/{subdomain}/tickets"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from xobito_web.components import ui
from xobito_web.components.badges import priority_badge, status_badge
from xobito_web.components.layout import fold_button, signed_in_page
from xobito_web.state.ticket_list import SORT_LABELS, ListRow, TicketListState

# The page's words, in one place.
STRINGS = {
    "status": "Status",
    "open": "Open",
    "answered": "Answered",
    "closed": "Closed",
    "priority": "Priority",
    "any_priority": "Any priority",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "urgent": "Urgent",
    "department": "Department",
    "any_department": "Any department",
    "sort_by": "Sort by",
    "search": "Search",
    "search_placeholder": "TKT-000042 or any words",
    "waiting_on_team": "Waiting on team",
    "assigned_to_me": "Assigned to me",
    "clear_filters": "Clear filters",
    "unread": "Unread: ",
    "customer": "Customer",
    "assignee": "Assignee",
    "no_assignee": "—",
    "last_activity": "Last activity",
    "ticket_id": "Ticket ID",
    "subject": "Subject",
    "tickets": "Tickets",
    "empty_title": "No tickets here",
    "empty_filtered": "No ticket matches these filters. Clear them to see every open ticket.",
    "empty_team": "Nothing is waiting. New tickets appear here as customers open them.",
    "empty_customer": "You have no open tickets. Need help? Open a new ticket and we will answer.",
    "new_ticket": "New Ticket",
    "previous": "Previous",
    "next": "Next",
    "filters": "Filters",
}

# Rows rendered with the list's data; the rest of the page of rows renders a frame later. More
# than a laptop's screen shows below the filters: the list's render was twice the empty page's.
FIRST_ROWS = 10

STATUS_CHOICES = (("open", STRINGS["open"]), ("answered", STRINGS["answered"]), ("closed", STRINGS["closed"]))
PRIORITY_CHOICES = (
    ("any", STRINGS["any_priority"]),
    ("low", STRINGS["low"]),
    ("medium", STRINGS["medium"]),
    ("high", STRINGS["high"]),
    ("urgent", STRINGS["urgent"]),
)


def status_filter() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(STRINGS["status"], class_name="field-label"),
        ui.hstack(
            *[
                # One label around the box and its words: the box is named by them (no nested labels).
                ui.checkbox(
                    label,
                    checked=TicketListState.selected_statuses.contains(value)  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class
                    | TicketListState.selected_statuses.contains("all"),  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class
                    on_change=lambda _value, value=value: TicketListState.toggle_status(value),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                )
                for value, label in STATUS_CHOICES
            ],
            spacing="3",
            align="center",
        ),
        class_name="filter-group",
    )


# The filters are native <select>s and checkboxes (components/ui.py): Radix's select and
# checkbox components made most of the list's first render, and each filter is one choice.
def priority_filter() -> rx.Component:
    return ui.labelled_select(
        STRINGS["priority"],
        *[ui.option(label, value) for value, label in PRIORITY_CHOICES],
        id="priority-filter",
        value=rx.cond(TicketListState.selected_priority == "", "any", TicketListState.selected_priority),
        on_change=TicketListState.set_priority_filter,
    )


def department_filter() -> rx.Component:
    return ui.labelled_select(
        STRINGS["department"],
        ui.option(STRINGS["any_department"], "any"),
        rx.foreach(TicketListState.departments, lambda d: ui.option(d.label, d.value)),
        id="department-filter",
        value=rx.cond(TicketListState.selected_department == "", "any", TicketListState.selected_department),
        on_change=TicketListState.set_department_filter,
    )


def sort_choice() -> rx.Component:
    return ui.labelled_select(
        STRINGS["sort_by"],
        *[ui.option(label, value) for value, label in SORT_LABELS.items()],
        id="sort-choice",
        value=TicketListState.sort,
        on_change=TicketListState.set_sort,
    )


def search_box() -> rx.Component:
    return ui.form(
        ui.vstack(
            rx.el.label(STRINGS["search"], html_for="ticket-search", class_name="field-label"),
            ui.hstack(
                ui.input(
                    id="ticket-search",
                    name="q",
                    default_value=TicketListState.search,
                    key=TicketListState.search,
                    placeholder=STRINGS["search_placeholder"],
                    width="260px",
                    aria_invalid=rx.cond(TicketListState.search_error != "", "true", "false"),
                    aria_describedby="search-error",
                ),
                ui.button(STRINGS["search"], type="submit", variant="soft"),
                spacing="2",
                align="center",
            ),
            rx.el.p(
                TicketListState.search_error,
                id="search-error",
                role="alert",
                class_name="rt-Text rt-r-size-2",
                custom_attrs={"data-accent-color": "red"},
            ),
            spacing="1",
        ),
        on_submit=TicketListState.submit_search,
        reset_on_submit=False,
    )


def filters_bar() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            status_filter(),
            priority_filter(),
            department_filter(),
            rx.cond(
                TicketListState.is_team,
                rx.fragment(
                    ui.checkbox(
                        STRINGS["waiting_on_team"],
                        checked=TicketListState.waiting_on_team,
                        on_change=TicketListState.toggle_waiting_on_team,  # the box sends whether it is checked
                    ),
                    ui.checkbox(
                        STRINGS["assigned_to_me"],
                        checked=TicketListState.assigned_to_me,
                        on_change=TicketListState.toggle_assigned_to_me,
                    ),
                    sort_choice(),
                ),
            ),
            search_box(),
            rx.cond(
                TicketListState.filters_active,
                ui.button(STRINGS["clear_filters"], variant="ghost", on_click=TicketListState.clear_filters),
            ),
            class_name="rt-Flex rt-r-fd-row rt-r-fw-wrap rt-r-ai-end rt-r-gap-5",
        ),
        id="filters",
        # `foldable`: behind the Filters button on a phone, so the tickets come first.
        class_name="rt-reset rt-BaseCard rt-Card rt-r-size-2 rt-variant-surface foldable full-width",
    )


def marked(marks, fallback=None) -> list[rx.Component | Var]:
    """A text with the words a search matched highlighted (<mark>), each piece plain text; the
    fallback when nothing was matched (no pieces). Children, not a component: no fragments."""
    pieces: list[rx.Component | Var] = [
        rx.foreach(marks, lambda mark: ui.when(mark.hit, rx.el.mark(mark.text), mark.text))
    ]
    return pieces if fallback is None else [*pieces, rx.cond(marks.length() > 0, "", fallback)]


def ticket_row(row: ListRow) -> rx.Component:
    """Plain elements with Radix Themes' classes (see components/ui.py): fifty of them per page."""
    return ui.table_row(
        ui.row_header_cell(
            ui.hstack(
                ui.when(row.unread, rx.el.span(aria_hidden="true", class_name="unread-dot")),
                ui.plain_link(
                    row.ref,
                    href=row.href,
                    class_name="rt-Text rt-reset rt-Link rt-underline-auto light-link rt-r-weight-medium ticket-ref",
                    custom_attrs={"data-accent-color": ""},
                ),
                spacing="2",
                align="center",
            )
        ),
        ui.cell(
            ui.vstack(
                ui.plain_link(  # opened in this page by the row's click handler
                    ui.when(row.unread, rx.el.span(STRINGS["unread"], class_name="visually-hidden")),
                    *marked(row.subject_marks, row.subject),
                    href=row.href,
                    class_name=rx.cond(
                        row.unread,
                        "rt-Text rt-reset rt-Link rt-underline-auto light-link rt-high-contrast rt-r-weight-bold",
                        "rt-Text rt-reset rt-Link rt-underline-auto light-link rt-high-contrast",
                    ),
                    custom_attrs={"data-accent-color": "gray"},
                ),
                rx.cond(
                    row.snippet.length() > 0,  # type: ignore[attr-defined]  # Reflex: a state field or event is a Var on the class
                    rx.el.p(*marked(row.snippet), class_name="rt-Text rt-r-size-1 search-snippet"),
                ),
                ui.when(row.waiting != "", ui.text(row.waiting, size="1", color_scheme="gray")),
                spacing="0",
            )
        ),
        ui.when(TicketListState.is_team, ui.cell(row.customer_name, label=STRINGS["customer"])),
        ui.when(
            TicketListState.is_team,
            ui.cell(
                rx.cond(row.assignee_name != "", row.assignee_name, STRINGS["no_assignee"]), label=STRINGS["assignee"]
            ),
        ),
        ui.cell(row.department, label=STRINGS["department"]),
        ui.cell(priority_badge(row.priority, row.priority_label), label=STRINGS["priority"]),  # type: ignore[arg-type]  # Reflex: a foreach item is a Var
        ui.cell(status_badge(row.status, row.status_label), label=STRINGS["status"]),  # type: ignore[arg-type]  # Reflex: a foreach item is a Var
        ui.cell(
            rx.el.time(row.last_activity, title=row.last_activity_exact, date_time=row.last_activity_exact),
            label=STRINGS["last_activity"],
        ),
        on_click=ui.in_page_click(row.href),
        class_name="ticket-row",
        custom_attrs={"data-unread": rx.cond(row.unread, "true", "false")},
    )


def _header(title: str) -> rx.Component:
    return rx.el.th(title, class_name="rt-TableCell rt-TableColumnHeaderCell", scope="col")


def ticket_table() -> rx.Component:
    return ui.table(
        rx.el.thead(
            ui.table_row(
                _header(STRINGS["ticket_id"]),
                _header(STRINGS["subject"]),
                rx.cond(TicketListState.is_team, _header(STRINGS["customer"])),
                rx.cond(TicketListState.is_team, _header(STRINGS["assignee"])),
                *[
                    _header(title)
                    for title in (
                        STRINGS["department"],
                        STRINGS["priority"],
                        STRINGS["status"],
                        STRINGS["last_activity"],
                    )
                ],
            ),
            class_name="rt-TableHeader",
        ),
        # The first screenful of rows first; the rest a frame later (nothing above them moves).
        rx.el.tbody(
            rx.foreach(TicketListState.rows[:FIRST_ROWS], ticket_row),
            ui.after_first_paint(rx.foreach(TicketListState.rows[FIRST_ROWS:], ticket_row), marked=False),
            class_name="rt-TableBody",
        ),
        aria_label=STRINGS["tickets"],
    )


def empty_state() -> rx.Component:
    return ui.card(
        ui.vstack(
            ui.heading(STRINGS["empty_title"], size="4", as_="h2"),
            rx.cond(
                TicketListState.filters_active,
                ui.text(STRINGS["empty_filtered"]),
                rx.cond(
                    TicketListState.is_team,
                    ui.text(STRINGS["empty_team"]),
                    ui.text(STRINGS["empty_customer"]),
                ),
            ),
            rx.cond(
                TicketListState.filters_active,
                ui.button(STRINGS["clear_filters"], variant="soft", on_click=TicketListState.clear_filters),
                rx.cond(
                    ~TicketListState.is_team,
                    ui.link(ui.button(STRINGS["new_ticket"]), href=TicketListState.nav_new_ticket_href),
                ),
            ),
            spacing="3",
            align="start",
        ),
        width="100%",
        id="empty-state",
    )


def pager() -> rx.Component:
    return rx.el.div(
        rx.el.p(TicketListState.count_label, id="ticket-count", aria_live="polite", class_name="rt-Text rt-r-size-2"),
        rx.el.div(class_name="pager-gap"),
        ui.button(
            STRINGS["previous"],
            variant="soft",
            disabled=~TicketListState.has_previous,
            on_click=TicketListState.previous_page,
        ),
        ui.button(
            STRINGS["next"],
            variant="soft",
            disabled=TicketListState.next_cursor == "",
            on_click=TicketListState.next_page,
        ),
        class_name="rt-Flex rt-r-fd-row rt-r-ai-center rt-r-jc-end rt-r-gap-2 full-width",
    )


def ticket_list_page() -> rx.Component:
    return signed_in_page(
        ui.vstack(
            ui.hstack(
                ui.heading(STRINGS["tickets"], as_="h1", size="6"),
                ui.hstack(
                    fold_button(STRINGS["filters"], "list-filter", "filters-button", "filters"),
                    rx.cond(
                        ~TicketListState.is_team,
                        ui.link(ui.button(STRINGS["new_ticket"]), href=TicketListState.nav_new_ticket_href),
                    ),
                    spacing="2",
                    align="center",
                ),
                justify="between",
                width="100%",
                align="center",
            ),
            filters_bar(),
            rx.cond(
                TicketListState.loaded,
                rx.cond(TicketListState.rows.length() > 0, rx.fragment(ticket_table(), pager()), empty_state()),  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class
            ),
            spacing="4",
            width="100%",
        ),
        title=TicketListState.tab_title,
    )
