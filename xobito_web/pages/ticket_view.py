"""/{subdomain}/tickets/{ticket}"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import light
from xobito_web.components.attachments import attachment_list, file_chooser
from xobito_web.components.badges import priority_badge, status_badge
from xobito_web.components.forms import length_counter, send_row
from xobito_web.components.layout import not_found_content, signed_in_page
from xobito_web.formatting import TextPiece
from xobito_web.services.tickets import MESSAGE_MAX, MESSAGE_MIN
from xobito_web.state.assignment import UNASSIGNED, AssignmentState
from xobito_web.state.reply import REPLY_UPLOAD_ID, ReplyState
from xobito_web.state.ticket_view import ThreadMessage, TicketViewState

# The page's words, in one place.
STRINGS = {
    "all_tickets": "← All tickets",
    "jump_latest": "Jump to latest",
    "closed": "This ticket is closed and archived. Need more help? ",
    "closed_link": "Open a new ticket",
    "link_rel": "noopener noreferrer nofollow",
}
# Shown for a thread of at least this many messages: it opens at the newest (assets/a11y.js).
LONG_THREAD = 4


def ticket_header() -> rx.Component:
    return rx.vstack(
        rx.link(STRINGS["all_tickets"], href=TicketViewState.list_href, size="2"),
        rx.hstack(
            rx.text(TicketViewState.ref, color_scheme="gray", weight="medium", id="ticket-ref"),
            status_badge(TicketViewState.status, TicketViewState.status_label),
            priority_badge(TicketViewState.priority, TicketViewState.priority_label),
            rx.cond(TicketViewState.waiting != "", rx.text(TicketViewState.waiting, size="2", color_scheme="gray")),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.heading(TicketViewState.subject, as_="h1", size="6"),
        rx.data_list.root(
            rx.data_list.item(rx.data_list.label("Department"), rx.data_list.value(TicketViewState.department)),
            rx.cond(
                TicketViewState.is_team,
                rx.fragment(
                    rx.data_list.item(
                        rx.data_list.label("Customer"), rx.data_list.value(TicketViewState.customer_name)
                    ),
                    rx.data_list.item(
                        rx.data_list.label("Assignee"),
                        rx.data_list.value(
                            rx.cond(TicketViewState.assignee_name != "", TicketViewState.assignee_name, "Unassigned")
                        ),
                    ),
                ),
            ),
            orientation="horizontal",
            size="2",
        ),
        spacing="2",
        width="100%",
        id="ticket-header",
    )


def assignment_controls() -> rx.Component:
    """Admins move the ticket and pick who works on it; staff take it."""
    return rx.cond(
        AssignmentState.can_assign | AssignmentState.can_take,
        rx.card(
            rx.hstack(
                rx.cond(
                    AssignmentState.can_assign,
                    rx.fragment(
                        rx.vstack(
                            rx.el.label("Assign to department", html_for="assign-department", class_name="field-label"),
                            rx.select.root(
                                rx.select.trigger(id="assign-department", aria_label="Assign to department"),
                                rx.select.content(
                                    rx.foreach(
                                        AssignmentState.department_choices,
                                        lambda d: rx.select.item(d.label, value=d.value),
                                    )
                                ),
                                value=AssignmentState.chosen_department,
                                on_change=AssignmentState.choose_department,
                            ),
                            spacing="1",
                        ),
                        rx.vstack(
                            rx.el.label("Assignee", html_for="assign-person", class_name="field-label"),
                            rx.select.root(
                                rx.select.trigger(id="assign-person", aria_label="Assignee"),
                                rx.select.content(
                                    rx.select.item("Unassigned", value=UNASSIGNED),
                                    rx.foreach(
                                        AssignmentState.assignee_choices,
                                        lambda p: rx.select.item(p.label, value=p.value),
                                    ),
                                ),
                                value=rx.cond(
                                    AssignmentState.chosen_assignee == "", UNASSIGNED, AssignmentState.chosen_assignee
                                ),
                                on_change=AssignmentState.choose_assignee,
                            ),
                            spacing="1",
                        ),
                        rx.button(
                            "Assign", variant="soft", on_click=AssignmentState.assign, loading=AssignmentState.assigning
                        ),
                    ),
                ),
                rx.cond(
                    AssignmentState.can_take,
                    rx.button(
                        "Take ticket", variant="soft", on_click=AssignmentState.take, loading=AssignmentState.assigning
                    ),
                ),
                spacing="4",
                align="end",
                wrap="wrap",
            ),
            rx.cond(
                AssignmentState.assignment_error != "",
                rx.callout(
                    AssignmentState.assignment_error, color_scheme="red", role="alert", width="100%", margin_top="3"
                ),
            ),
            rx.cond(
                AssignmentState.assignment_notice != "",
                rx.text(
                    AssignmentState.assignment_notice, size="2", color_scheme="gray", role="status", margin_top="3"
                ),
            ),
            width="100%",
            id="assignment",
        ),
    )


def message_piece(piece: TextPiece) -> rx.Component:
    """Text as typed (React escapes it), or a web address as a link (http and https only)."""
    return rx.cond(
        piece.href != "",
        rx.el.a(piece.text, href=piece.href, rel=STRINGS["link_rel"], target="_blank"),
        rx.el.span(piece.text),
    )


def thread_message(message: ThreadMessage) -> rx.Component:
    """Plain elements with Radix Themes' classes (see components/light.py): a thread can be long.

    An article per message, headed by its author (screen readers move from message to message)."""
    return rx.el.article(
        light.flex_column(
            light.flex_row(
                rx.el.h2(message.author_name, class_name="rt-Heading rt-r-size-2 rt-r-weight-bold message-author"),
                light.badge(message.author_role, color=rx.cond(message.is_team, "indigo", "gray"), size="1"),
                rx.el.time(
                    message.when, title=message.when_exact, date_time=message.when_exact, class_name="message-time"
                ),
            ),
            # Plain text with its line breaks; React escapes it, so markup shows as typed.
            light.text(rx.foreach(message.pieces, message_piece), class_name="message-body"),
            attachment_list(message.attachments),
            gap="2",
            class_name="message-content",
        ),
        class_name=rx.cond(
            message.is_team,
            f"{light.CARD_CLASSES} message message-team",
            f"{light.CARD_CLASSES} message message-customer",
        ),
        tab_index=-1,  # focused when it is the reply just sent
    )


def composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Message", html_for="reply-body", class_name="field-label"),
            rx.text_area(
                # A new key per ticket and after each sent reply: the box starts as its own
                # ticket's draft even when the browser never told the server what was typed
                # (the typing events are debounced).
                key=ReplyState.composer_box_key,
                id="reply-body",
                name="body",
                value=ReplyState.draft,
                # The key goes with the text: a late typing event still lands on its own ticket.
                on_change=lambda value: ReplyState.set_draft(ReplyState.draft_key, value),
                rows="5",
                width="100%",
                max_length=MESSAGE_MAX,
                placeholder="Write your reply",
                aria_describedby="reply-count",
            ),
            length_counter(ReplyState.draft_length, MESSAGE_MIN, MESSAGE_MAX, "reply-count"),
            file_chooser(REPLY_UPLOAD_ID, "reply-body"),
            rx.cond(
                ReplyState.composer_error != "",
                rx.callout(ReplyState.composer_error, color_scheme="red", role="alert", id="reply-error", width="100%"),
            ),
            rx.el.input(type="hidden", name="ref", value=ReplyState.draft_key),
            send_row("Send Reply", ReplyState.sending, ReplyState.upload_percent, ReplyState.composer_nonce),
            spacing="2",
            width="100%",
        ),
        on_submit=lambda form_data: ReplyState.send_reply(
            rx.upload_files_chunk(upload_id=REPLY_UPLOAD_ID, on_upload_progress=ReplyState.set_upload_progress),
            form_data,
        ),
        reset_on_submit=False,
        width="100%",
    )


def close_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Close Ticket", variant="outline", color_scheme="gray")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Close this ticket?"),
            rx.alert_dialog.description(
                "A closed ticket is archived: nobody can reply to it any more. Open a new ticket for anything else."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Close Ticket", color_scheme="red", high_contrast=True, on_click=TicketViewState.close_ticket
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="4",
            ),
        ),
        open=TicketViewState.confirm_close_open,
        on_open_change=TicketViewState.set_confirm_close_open,
    )


def closed_notice() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.fragment(
                STRINGS["closed"],
                rx.cond(
                    ~TicketViewState.is_team,
                    rx.link(STRINGS["closed_link"], href=TicketViewState.nav_new_ticket_href),
                    STRINGS["closed_link"] + ".",
                ),
            ),
            icon="archive",
            color_scheme="gray",
            width="100%",
            id="closed-notice",
        ),
        # Closed by the other party while this person was typing: their text stays, to copy.
        rx.cond(
            ReplyState.draft.strip() != "",
            rx.vstack(
                rx.el.label("Your unsent text", html_for="unsent-text", class_name="field-label"),
                rx.text_area(id="unsent-text", value=ReplyState.draft, read_only=True, rows="4", width="100%"),
                width="100%",
                spacing="1",
            ),
        ),
        width="100%",
    )


def live_notice() -> rx.Component:
    return rx.box(
        rx.cond(
            TicketViewState.live_notice != "",
            rx.callout(
                rx.hstack(
                    rx.text(TicketViewState.live_notice),
                    rx.button("Dismiss", size="1", variant="ghost", on_click=TicketViewState.dismiss_live_notice),
                    justify="between",
                    width="100%",
                    align="center",
                ),
                icon="bell",
                color_scheme="indigo",
                width="100%",
            ),
        ),
        role="status",
        aria_live="polite",
        id="live-notice",
        width="100%",
    )


def ticket_view_page() -> rx.Component:
    return signed_in_page(
        rx.cond(
            TicketViewState.found,
            rx.vstack(
                ticket_header(),
                assignment_controls(),
                rx.cond(
                    TicketViewState.action_error != "",
                    rx.callout(TicketViewState.action_error, color_scheme="red", role="alert", width="100%"),
                ),
                rx.cond(
                    TicketViewState.messages.length() + TicketViewState.later_messages.length() >= LONG_THREAD,
                    rx.el.button(
                        STRINGS["jump_latest"],
                        type="button",
                        on_click=rx.call_script("window.xobito.jumpToLatest()"),
                        class_name="jump-latest rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button",
                        id="jump-latest",
                    ),
                ),
                rx.vstack(
                    rx.foreach(TicketViewState.messages, thread_message),
                    rx.foreach(TicketViewState.later_messages, thread_message),
                    spacing="3",
                    width="100%",
                    id="thread",
                ),
                live_notice(),
                rx.cond(
                    TicketViewState.can_reply,
                    rx.card(composer(), width="100%"),
                    closed_notice(),
                ),
                rx.cond(TicketViewState.can_close, rx.hstack(close_button(), justify="start", width="100%")),
                spacing="4",
                width="100%",
                max_width="800px",
            ),
            not_found_content(),
        ),
        title=TicketViewState.tab_title,
    )
