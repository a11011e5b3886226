"""/{subdomain}/tickets/{ticket}"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from xobito_web.components import ui
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
    "department": "Department",
    "customer": "Customer",
    "assignee": "Assignee",
    "unassigned": "Unassigned",
    "assign_department": "Assign to department",
    "assign": "Assign",
    "take": "Take ticket",
    "internal_note": "Internal note",
    "reply": "Reply",
    "kind_label": "Write a reply or an internal note",
    "note_hint": "Only the team sees internal notes. Mention a colleague with @ and their name to email them.",
    "picker_close": "Close saved replies",
    "picker_open": "Insert saved reply",
    "picker_search": "Search saved replies",
    "picker_placeholder": "Type words of the title or text",
    "picker_insert": "Insert ",
    "picker_manage": "Manage saved replies",
    "message": "Message",
    "note_placeholder": "Write a note for the team",
    "reply_placeholder": "Write your reply",
    "send_note": "Add Internal Note",
    "send_reply": "Send Reply",
    "close_ticket": "Close Ticket",
    "close_title": "Close this ticket?",
    "close_text": "A closed ticket is archived: nobody can reply to it any more. Open a new ticket for anything else.",
    "cancel": "Cancel",
    "unsent_text": "Your unsent text",
    "dismiss": "Dismiss",
}
# Shown for a thread of at least this many messages: it opens at the newest (assets/a11y.js).
LONG_THREAD = 4


def _detail(label: str, value) -> rx.Component:
    return rx.el.div(
        rx.el.dt(label, class_name="rt-DataListLabel"),
        rx.el.dd(value, class_name="rt-DataListValue"),
        class_name="rt-DataListItem",
    )


def ticket_header() -> rx.Component:
    """Plain elements with Radix Themes' classes (components/ui.py), like the messages below."""
    return rx.el.div(
        ui.link(STRINGS["all_tickets"], href=TicketViewState.tickets_href, class_name="rt-r-size-2"),
        rx.el.div(
            rx.el.p(
                TicketViewState.ref,
                id="ticket-ref",
                class_name="rt-Text rt-r-weight-medium",
                custom_attrs={"data-accent-color": "gray"},
            ),
            status_badge(TicketViewState.status, TicketViewState.status_label),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            priority_badge(TicketViewState.priority, TicketViewState.priority_label),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            rx.cond(TicketViewState.waiting != "", ui.text(TicketViewState.waiting, size="2", color_scheme="gray")),
            class_name="rt-Flex rt-r-fd-row rt-r-ai-center rt-r-fw-wrap rt-r-gap-3",
        ),
        rx.el.h1(TicketViewState.subject, class_name="rt-Heading rt-r-size-6"),
        rx.el.dl(
            _detail(STRINGS["department"], TicketViewState.department),
            rx.cond(
                TicketViewState.is_team,
                rx.fragment(
                    _detail(STRINGS["customer"], TicketViewState.customer_name),
                    _detail(
                        STRINGS["assignee"],
                        rx.cond(
                            TicketViewState.assignee_name != "", TicketViewState.assignee_name, STRINGS["unassigned"]
                        ),
                    ),
                ),
            ),
            class_name="rt-Text rt-DataListRoot rt-r-orientation-horizontal rt-r-size-2",
        ),
        id="ticket-header",
        class_name="rt-Flex rt-r-fd-column rt-r-ai-start rt-r-gap-2 full-width",
    )


def assignment_controls() -> rx.Component:
    """Admins move the ticket and pick who works on it; staff take it."""
    return rx.cond(
        AssignmentState.can_assign | AssignmentState.can_take,
        ui.card(
            ui.hstack(
                rx.cond(
                    AssignmentState.can_assign,
                    rx.fragment(
                        ui.vstack(
                            rx.el.label(
                                STRINGS["assign_department"], html_for="assign-department", class_name="field-label"
                            ),
                            ui.select(
                                rx.foreach(AssignmentState.department_choices, lambda d: ui.option(d.label, d.value)),
                                id="assign-department",
                                value=AssignmentState.chosen_department,
                                on_change=AssignmentState.choose_department,
                            ),
                            spacing="1",
                        ),
                        ui.vstack(
                            rx.el.label(STRINGS["assignee"], html_for="assign-person", class_name="field-label"),
                            ui.select(
                                ui.option(STRINGS["unassigned"], UNASSIGNED),
                                rx.foreach(AssignmentState.assignee_choices, lambda p: ui.option(p.label, p.value)),
                                id="assign-person",
                                value=rx.cond(
                                    AssignmentState.chosen_assignee == "", UNASSIGNED, AssignmentState.chosen_assignee
                                ),
                                on_change=AssignmentState.choose_assignee,
                            ),
                            spacing="1",
                        ),
                        ui.button(
                            STRINGS["assign"],
                            variant="soft",
                            on_click=AssignmentState.assign,
                            loading=AssignmentState.assigning,
                        ),
                    ),
                ),
                rx.cond(
                    AssignmentState.can_take,
                    ui.button(
                        STRINGS["take"],
                        variant="soft",
                        on_click=AssignmentState.take,
                        loading=AssignmentState.assigning,
                    ),
                ),
                spacing="4",
                align="end",
                wrap="wrap",
            ),
            rx.cond(
                AssignmentState.assignment_error != "",
                ui.callout(
                    AssignmentState.assignment_error, color_scheme="red", role="alert", width="100%", margin_top="3"
                ),
            ),
            rx.cond(
                AssignmentState.assignment_notice != "",
                ui.text(
                    AssignmentState.assignment_notice, size="2", color_scheme="gray", role="status", margin_top="3"
                ),
            ),
            width="100%",
            id="assignment",
        ),
    )


def message_piece(piece: TextPiece) -> Var:
    """Text as typed (React escapes it), or a web address as a link (http and https only)."""
    return ui.when(
        piece.href != "",
        ui.plain_link(piece.text, href=piece.href, rel=STRINGS["link_rel"], target="_blank"),
        piece.text,  # a text node: no element per piece of a thread's text
    )


def thread_message(message: ThreadMessage) -> rx.Component:
    """Plain elements with Radix Themes' classes (see components/ui.py): a thread can be long.

    An article per message, headed by its author (screen readers move from message to message).
    The article lays out its parts itself (`.message` in styles.css): one element less per message."""
    return rx.el.article(
        ui.hstack(
            ui.when(message.is_internal, ui.badge(STRINGS["internal_note"], color="amber", size="1")),
            rx.el.h2(message.author_name, class_name="rt-Heading rt-r-size-2 rt-r-weight-bold message-author"),
            ui.badge(message.author_role, color=rx.cond(message.is_team, "indigo", "gray"), size="1"),
            rx.el.time(message.when, title=message.when_exact, date_time=message.when_exact, class_name="message-time"),
            spacing="2",
            align="center",
        ),
        # Plain text with its line breaks; React escapes it, so markup shows as typed.
        ui.text(rx.foreach(message.pieces, message_piece), class_name="message-body"),
        attachment_list(message.attachments),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
        class_name=rx.cond(
            message.is_internal,
            f"{ui.CARD_CLASSES} message message-note",
            rx.cond(
                message.is_team,
                f"{ui.CARD_CLASSES} message message-team",
                f"{ui.CARD_CLASSES} message message-customer",
            ),
        ),
        tab_index=-1,  # focused when it is the reply just sent
    )


def composer_kind() -> rx.Component:
    """The team chooses between a reply (the customer sees it) and an internal note."""
    return rx.cond(
        ReplyState.is_team,
        ui.vstack(
            ui.segmented(
                "composer-kind",
                rx.cond(ReplyState.note_mode, "note", "reply"),
                ReplyState.set_note_mode,
                [(STRINGS["reply"], "reply"), (STRINGS["internal_note"], "note")],
                aria_label=STRINGS["kind_label"],
                id="composer-kind",
            ),
            rx.cond(
                ReplyState.note_mode,
                ui.text(
                    STRINGS["note_hint"],
                    size="2",
                    color_scheme="gray",
                    id="note-hint",
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def saved_reply_picker() -> rx.Component:
    """The team's saved replies: type to narrow, choose one to insert it after what is typed."""
    return rx.cond(
        ReplyState.is_team,
        ui.vstack(
            ui.button(
                rx.cond(ReplyState.picker_open, STRINGS["picker_close"], STRINGS["picker_open"]),
                type="button",
                variant="soft",
                size="2",
                on_click=ReplyState.toggle_picker,
                aria_expanded=rx.cond(ReplyState.picker_open, "true", "false"),
                aria_controls="saved-reply-picker",
            ),
            rx.cond(
                ReplyState.picker_open,
                ui.card(
                    ui.vstack(
                        rx.el.label(STRINGS["picker_search"], html_for="saved-reply-search", class_name="field-label"),
                        ui.input(
                            id="saved-reply-search",
                            value=ReplyState.picker_query,
                            on_change=ReplyState.set_picker_query.debounce(150),  # type: ignore[attr-defined]  # Reflex: a state field or event is a Var on the class
                            placeholder=STRINGS["picker_placeholder"],
                            auto_focus=True,
                            width="100%",
                            aria_controls="saved-reply-choices",
                        ),
                        rx.el.ul(
                            rx.foreach(
                                ReplyState.picker_matches,
                                # The button shows only the title (its name, "Insert <title>", contains
                                # every word it shows); the preview below describes it.
                                lambda choice: rx.el.li(
                                    ui.button(
                                        ui.text(choice.title, weight="bold", size="2"),
                                        type="button",
                                        variant="ghost",
                                        on_click=ReplyState.insert_saved_reply(choice.id),  # type: ignore[misc]  # Reflex: a state field or event is a Var on the class
                                        class_name="saved-reply-choice",
                                        aria_label=STRINGS["picker_insert"] + choice.title,
                                        aria_describedby="saved-reply-preview-" + choice.id,
                                    ),
                                    ui.text(
                                        choice.preview,
                                        size="1",
                                        color_scheme="gray",
                                        id="saved-reply-preview-" + choice.id,
                                        class_name="saved-reply-preview",
                                    ),
                                ),
                            ),
                            id="saved-reply-choices",
                            class_name="saved-reply-choices",
                            aria_live="polite",
                        ),
                        rx.cond(
                            ReplyState.picker_message != "",
                            ui.text(ReplyState.picker_message, size="2", color_scheme="gray", role="status"),
                        ),
                        ui.link(STRINGS["picker_manage"], href=ReplyState.saved_replies_href, size="2"),
                        spacing="2",
                        width="100%",
                    ),
                    width="100%",
                    id="saved-reply-picker",
                ),
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
    )


def composer() -> rx.Component:
    return ui.form(
        ui.vstack(
            rx.el.label(
                rx.cond(ReplyState.note_mode, STRINGS["internal_note"], STRINGS["message"]),
                html_for="reply-body",
                class_name="field-label",
            ),
            ui.text_area(
                # A new key per ticket and after each sent reply: the box starts as its own
                # ticket's draft even when the browser never told the server what was typed
                # (the typing events are debounced).
                key=ReplyState.composer_box_key,
                id="reply-body",
                name="body",
                value=ReplyState.draft,
                # The key goes with the text: a late typing event still lands on its own ticket.
                on_change=lambda value: ReplyState.set_draft(ReplyState.draft_key, value),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                rows="5",
                width="100%",
                max_length=MESSAGE_MAX,
                placeholder=rx.cond(ReplyState.note_mode, STRINGS["note_placeholder"], STRINGS["reply_placeholder"]),
                aria_describedby="reply-count",
            ),
            length_counter(ReplyState.draft_length, MESSAGE_MIN, MESSAGE_MAX, "reply-count"),
            file_chooser(REPLY_UPLOAD_ID, "reply-body"),
            rx.cond(
                ReplyState.composer_error != "",
                ui.callout(ReplyState.composer_error, color_scheme="red", role="alert", id="reply-error", width="100%"),
            ),
            rx.el.input(type="hidden", name="ref", value=ReplyState.draft_key),
            rx.el.input(type="hidden", name="kind", value=rx.cond(ReplyState.note_mode, "note", "reply")),
            rx.cond(
                ReplyState.note_notice != "",
                ui.text(ReplyState.note_notice, size="2", role="status", id="note-notice"),
            ),
            send_row(
                rx.cond(ReplyState.note_mode, STRINGS["send_note"], STRINGS["send_reply"]),
                ReplyState.sending,
                ReplyState.upload_percent,  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
                ReplyState.composer_nonce,  # type: ignore[arg-type]  # Reflex: a state field or event is a Var on the class
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=lambda form_data: ReplyState.send_reply(  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
            rx.upload_files_chunk(upload_id=REPLY_UPLOAD_ID, on_upload_progress=ReplyState.set_upload_progress),
            form_data,
        ),
        reset_on_submit=False,
        width="100%",
    )


def close_button() -> rx.Component:
    return rx.fragment(
        ui.dialog_opener(
            STRINGS["close_ticket"],
            set_open=TicketViewState.set_confirm_close_open,
            variant="outline",
            color_scheme="gray",
        ),
        ui.dialog(
            ui.dialog_buttons(
                STRINGS["cancel"],
                TicketViewState.set_confirm_close_open,
                ui.button(
                    STRINGS["close_ticket"],
                    color_scheme="red",
                    high_contrast=True,
                    on_click=TicketViewState.close_ticket,
                ),
                margin_top="4",
            ),
            dialog_id="close-dialog",
            open=TicketViewState.confirm_close_open,
            title=STRINGS["close_title"],
            description=STRINGS["close_text"],
            alert=True,
        ),
    )


def closed_notice() -> rx.Component:
    return ui.vstack(
        ui.callout(
            rx.fragment(
                STRINGS["closed"],
                rx.cond(
                    ~TicketViewState.is_team,
                    ui.link(STRINGS["closed_link"], href=TicketViewState.nav_new_ticket_href),
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
            ui.vstack(
                rx.el.label(STRINGS["unsent_text"], html_for="unsent-text", class_name="field-label"),
                ui.text_area(id="unsent-text", value=ReplyState.draft, read_only=True, rows="4", width="100%"),
                width="100%",
                spacing="1",
            ),
        ),
        width="100%",
    )


def presence_notice() -> rx.Component:
    """For the team: who else has the ticket open or is typing (a polite live region)."""
    return ui.box(
        rx.cond(
            TicketViewState.presence_line != "",
            ui.callout(TicketViewState.presence_line, icon="users", color_scheme="gray", size="1", width="100%"),
        ),
        role="status",
        aria_live="polite",
        id="presence",
        width="100%",
    )


def live_notice() -> rx.Component:
    return ui.box(
        rx.cond(
            TicketViewState.live_notice != "",
            ui.callout(
                ui.hstack(
                    ui.text(TicketViewState.live_notice),
                    ui.button(
                        STRINGS["dismiss"], size="1", variant="ghost", on_click=TicketViewState.dismiss_live_notice
                    ),
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
            ui.vstack(
                ticket_header(),
                presence_notice(),
                assignment_controls(),
                rx.cond(
                    TicketViewState.action_error != "",
                    ui.callout(TicketViewState.action_error, color_scheme="red", role="alert", width="100%"),
                ),
                rx.cond(
                    TicketViewState.messages.length() + TicketViewState.later_messages.length() >= LONG_THREAD,  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class
                    rx.el.button(
                        STRINGS["jump_latest"],
                        type="button",
                        on_click=rx.call_script("window.xobito.jumpToLatest()"),
                        class_name="jump-latest rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button",
                        id="jump-latest",
                    ),
                ),
                ui.vstack(
                    rx.foreach(TicketViewState.messages, thread_message),
                    rx.foreach(TicketViewState.later_messages, thread_message),
                    spacing="3",
                    width="100%",
                    id="thread",
                ),
                # Below the messages, so nothing above them moves: shown a frame after them.
                ui.after_first_paint(
                    live_notice(),
                    rx.cond(
                        TicketViewState.can_reply,
                        # The switch and the picker stay outside the form: Enter in the picker's
                        # search box must not send the message.
                        ui.card(
                            ui.vstack(composer_kind(), saved_reply_picker(), composer(), spacing="3", width="100%"),
                            width="100%",
                        ),
                        closed_notice(),
                    ),
                    rx.cond(TicketViewState.can_close, ui.hstack(close_button(), justify="start", width="100%")),
                ),
                spacing="4",
                width="100%",
                max_width="800px",
            ),
            not_found_content(),
        ),
        title=TicketViewState.tab_title,
    )
