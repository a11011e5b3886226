"""/{subdomain}/tickets/new"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.attachments import file_chooser
from xobito_web.components.forms import length_counter, send_row
from xobito_web.components.layout import signed_in_page
from xobito_web.services.tickets import MESSAGE_MAX, MESSAGE_MIN, SUBJECT_MAX, SUBJECT_MIN
from xobito_web.state.new_ticket import NEW_TICKET_UPLOAD_ID, NewTicketState

# The page's words, in one place.
STRINGS = {
    "title": "New Ticket",
    "subject": "Subject",
    "department": "Department",
    "choose_department": "Choose a department",
    "priority": "Priority",
    "message": "Message",
    "create": "Create Ticket",
    "team_note": "Tickets are opened by customers. Team members answer them from the ticket list.",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "urgent": "Urgent",
}
PRIORITY_CHOICES = tuple((value, STRINGS[value]) for value in ("low", "medium", "high", "urgent"))


def field_error(field: str) -> rx.Component:
    return rx.cond(
        NewTicketState.errors.contains(field),  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class
        ui.text(NewTicketState.errors[field], color_scheme="red", size="2", role="alert", id=f"{field}-error"),
    )


def invalid(field: str) -> rx.Var:
    """`aria-invalid` of a field: "true" while its error shows."""
    return rx.cond(NewTicketState.errors.contains(field), "true", "false")  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class


def new_ticket_form() -> rx.Component:
    return ui.form(
        ui.vstack(
            ui.vstack(
                rx.el.label(STRINGS["subject"], html_for="subject", class_name="field-label"),
                ui.input(
                    id="subject",
                    name="subject",
                    value=NewTicketState.subject,
                    on_change=NewTicketState.set_subject,
                    width="100%",
                    max_length=SUBJECT_MAX,
                    aria_invalid=invalid("subject"),
                    aria_describedby="subject-count subject-error",
                ),
                length_counter(NewTicketState.subject_length, SUBJECT_MIN, SUBJECT_MAX, "subject-count"),
                field_error("subject"),
                spacing="1",
                width="100%",
            ),
            ui.flex(
                ui.vstack(
                    rx.el.label(STRINGS["department"], html_for="department", class_name="field-label"),
                    ui.select(
                        ui.option(STRINGS["choose_department"], "", disabled=True),
                        rx.foreach(NewTicketState.departments, lambda d: ui.option(d.label, d.value)),
                        id="department",
                        value=NewTicketState.department,
                        on_change=NewTicketState.set_department,
                        aria_invalid=invalid("department"),
                        aria_describedby="department-error",
                    ),
                    field_error("department"),
                    spacing="1",
                ),
                ui.vstack(
                    rx.el.label(STRINGS["priority"], html_for="priority", class_name="field-label"),
                    ui.select(
                        *[ui.option(label, value) for value, label in PRIORITY_CHOICES],
                        id="priority",
                        value=NewTicketState.priority,
                        on_change=NewTicketState.set_priority,
                        aria_invalid=invalid("priority"),
                        aria_describedby="priority-error",
                    ),
                    field_error("priority"),
                    spacing="1",
                ),
                spacing="5",
                wrap="wrap",
            ),
            ui.vstack(
                rx.el.label(STRINGS["message"], html_for="body", class_name="field-label"),
                ui.text_area(
                    key=NewTicketState.composer_box_key,
                    id="body",
                    name="body",
                    value=NewTicketState.draft,
                    on_change=lambda value: NewTicketState.set_draft(NewTicketState.draft_key, value),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                    rows="8",
                    width="100%",
                    max_length=MESSAGE_MAX,
                    aria_invalid=invalid("body"),
                    aria_describedby="body-count body-error",
                ),
                length_counter(NewTicketState.draft_length, MESSAGE_MIN, MESSAGE_MAX, "body-count"),
                field_error("body"),
                spacing="1",
                width="100%",
            ),
            file_chooser(NEW_TICKET_UPLOAD_ID, "body"),
            field_error("attachments"),
            field_error("form"),
            send_row(
                STRINGS["create"],
                NewTicketState.sending,
                NewTicketState.upload_percent,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                NewTicketState.composer_nonce,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=lambda form_data: NewTicketState.submit(  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
            rx.upload_files_chunk(
                upload_id=NEW_TICKET_UPLOAD_ID, on_upload_progress=NewTicketState.set_upload_progress
            ),
            form_data,
        ),
        reset_on_submit=False,
    )


def new_ticket_page() -> rx.Component:
    return signed_in_page(
        ui.vstack(
            ui.heading(STRINGS["title"], as_="h1", size="6"),
            rx.cond(
                NewTicketState.is_team,
                ui.text(STRINGS["team_note"]),
                ui.card(new_ticket_form(), width="100%"),
            ),
            spacing="4",
            width="100%",
            max_width="800px",
        ),
        title=STRINGS["title"],
    )
