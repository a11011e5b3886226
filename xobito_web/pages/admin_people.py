"""/{subdomain}/admin/people (admins)"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.confirm import confirm_dialog
from xobito_web.components.fields import error_text, form_error, notice, text_field
from xobito_web.components.layout import signed_in_page
from xobito_web.services.accounts import NAME_MAX
from xobito_web.services.admin import CUSTOMERS, TEAM
from xobito_web.state.admin_people import DepartmentOption, PeopleState, PersonRow

# The page's words, in one place.
STRINGS = {
    "title": "People",
    "staff": "Staff",
    "admin": "Admin",
    "customer": "Customer",
    "admins_only": "This page is for admins of the workspace.",
    "departments": "Departments",
    "role": "Role",
    "invite_title": "Invite someone",
    "invite_text": "They get an email with a link to set their password. The link works for 7 days.",
    "email": "Email",
    "name": "Name",
    "cancel": "Cancel",
    "send_invitation": "Send invitation",
    "change": "Change ",
    "change_text": "Their role, and the departments whose tickets they see and answer.",
    "save_changes": "Save changes",
    "deactivate_title": "Deactivate ",
    "deactivate_text": "They are signed out at once and can no longer sign in or receive email. Their tickets and "
    "messages stay; the tickets assigned to them go back to their departments. You can reactivate "
    "them later.",
    "deactivate": "Deactivate",
    "edit": "Edit",
    "reactivate": "Reactivate",
    "resend": "Re-send invitation",
    "resend_label": "Re-send the invitation to ",
    "revoke": "Revoke",
    "revoke_label": "Revoke the invitation of ",
    "remove_unconfirmed_label": "Remove the unconfirmed sign-up of ",
    "you": "(you)",
    "departments_of": "Departments: ",
    "last_sign_in": "Last sign-in: ",
    "team": "Team",
    "customers": "Customers",
    "show": "Show",
    "search_people": "Search people",
    "search_placeholder": "Name or email",
    "search": "Search",
    "signup_setting": "Customers can sign up themselves (they confirm their email address first)",
    "invite": "Invite",
    "nobody": "Nobody here matches.",
    "previous": "Previous",
    "next": "Next",
}

STATE_COLORS = {"active": "green", "invited": "blue", "unconfirmed": "amber", "deactivated": "gray"}
ROLE_CHOICES = (("staff", STRINGS["staff"]), ("admin", STRINGS["admin"]), ("customer", STRINGS["customer"]))


def admins_only() -> rx.Component:
    return ui.callout(STRINGS["admins_only"], icon="lock", color_scheme="gray", width="100%", id="admins-only")


def department_checkboxes(options, chosen, on_toggle, errors, legend_id: str) -> rx.Component:
    def one(option: DepartmentOption) -> rx.Component:
        # One label around the box and its words: the box is named by them (no nested labels).
        return ui.checkbox(
            option.label,
            checked=chosen.contains(option.value),
            on_change=lambda checked: on_toggle(option.value, checked),
        )

    return rx.el.fieldset(
        rx.el.legend(STRINGS["departments"], class_name="field-label", id=legend_id),
        rx.el.div(rx.foreach(options, one), class_name="choice-row"),
        error_text(errors, "departments", f"{legend_id}-error"),
        class_name="choice-group",
    )


def role_select(select_id: str, value, on_change, choices, errors) -> rx.Component:
    return ui.vstack(
        rx.el.label(STRINGS["role"], html_for=select_id, class_name="field-label"),
        ui.select(*[ui.option(label, role) for role, label in choices], id=select_id, value=value, on_change=on_change),
        error_text(errors, "role", f"{select_id}-error"),
        spacing="1",
    )


def invite_dialog() -> rx.Component:
    state = PeopleState
    return ui.dialog(
        ui.form(
            ui.vstack(
                text_field(STRINGS["email"], "invite-email", "email", state.invite_errors, type="email"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                text_field(STRINGS["name"], "invite-name", "name", state.invite_errors, max_length=NAME_MAX),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                role_select("invite-role", state.invite_role, state.set_invite_role, ROLE_CHOICES, state.invite_errors),
                rx.cond(
                    state.invite_role != "customer",
                    department_checkboxes(
                        state.invite_department_choices,
                        state.invite_departments,
                        state.toggle_invite_department,
                        state.invite_errors,
                        "invite-departments",
                    ),
                ),
                form_error(state.invite_errors, "invite-form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                ui.dialog_buttons(
                    STRINGS["cancel"],
                    state.set_invite_open,
                    ui.button(STRINGS["send_invitation"], type="submit", loading=state.busy),
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=state.invite,
            reset_on_submit=False,
        ),
        dialog_id="invite-dialog",
        open=state.invite_open,
        title=STRINGS["invite_title"],
        description=STRINGS["invite_text"],
    )


def edit_dialog() -> rx.Component:
    state = PeopleState
    return ui.dialog(
        ui.vstack(
            role_select("edit-role", state.edit_role, state.set_edit_role, ROLE_CHOICES[:2], state.edit_errors),
            department_checkboxes(
                state.edit_department_choices,
                state.edit_departments,
                state.toggle_edit_department,
                state.edit_errors,
                "edit-departments",
            ),
            form_error(state.edit_errors, "edit-form-error"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
            ui.dialog_buttons(
                STRINGS["cancel"],
                state.set_edit_open,
                ui.button(STRINGS["save_changes"], on_click=state.save_edit, loading=state.busy),
                width="100%",
            ),
            spacing="4",
            width="100%",
            margin_top="3",
        ),
        dialog_id="edit-dialog",
        open=state.edit_id != "",
        title=rx.fragment(STRINGS["change"], state.edit_name),
        description=STRINGS["change_text"],
    )


def deactivate_dialog() -> rx.Component:
    return confirm_dialog(
        PeopleState,
        STRINGS["deactivate_title"],
        STRINGS["deactivate_text"],
        STRINGS["cancel"],
        STRINGS["deactivate"],
        PeopleState.deactivate,
    )


def person_actions(person: PersonRow) -> rx.Component:
    state = PeopleState
    return ui.flex(
        rx.cond(
            person.is_team & (person.state != "unconfirmed"),
            ui.button(
                STRINGS["edit"],
                size="1",
                variant="soft",
                on_click=state.start_edit(person.id),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                aria_label=STRINGS["edit"] + " " + person.name,
            ),
        ),
        rx.match(
            person.state,
            (
                "active",
                rx.cond(
                    ~person.is_self,
                    ui.button(
                        STRINGS["deactivate"],
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=state.ask_deactivate(person.id),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                        aria_label=STRINGS["deactivate"] + " " + person.name,
                    ),
                ),
            ),
            (
                "deactivated",
                ui.button(
                    STRINGS["reactivate"],
                    size="1",
                    variant="soft",
                    on_click=state.reactivate(person.id),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
                    aria_label=STRINGS["reactivate"] + " " + person.name,
                ),
            ),
            (
                "invited",
                rx.fragment(
                    ui.button(
                        STRINGS["resend"],
                        size="1",
                        variant="soft",
                        on_click=state.resend_invitation(person.id),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
                        aria_label=STRINGS["resend_label"] + person.name,
                    ),
                    ui.button(
                        STRINGS["revoke"],
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        on_click=state.revoke_invitation(person.id),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
                        aria_label=STRINGS["revoke_label"] + person.name,
                    ),
                ),
            ),
            (
                "unconfirmed",
                ui.button(
                    STRINGS["revoke"],
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=state.revoke_invitation(person.id),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
                    aria_label=STRINGS["remove_unconfirmed_label"] + person.name,
                ),
            ),
            rx.fragment(),
        ),
        gap="2",
        wrap="wrap",
    )


def person_card(person: PersonRow) -> rx.Component:
    return ui.card(
        ui.vstack(
            ui.flex(
                ui.text(person.name, weight="bold", class_name="person-name"),
                rx.cond(person.is_self, ui.text(STRINGS["you"], size="2", color_scheme="gray")),
                ui.badge(person.role_label, color=rx.cond(person.is_team, "indigo", "gray"), size="1"),
                ui.badge(person.state_label, color=rx.match(person.state, *STATE_COLORS.items(), "gray"), size="1"),
                gap="2",
                align="center",
                wrap="wrap",
            ),
            ui.text(person.email, size="2", class_name="person-email"),
            rx.cond(person.departments != "", ui.text(STRINGS["departments_of"], person.departments, size="2")),
            ui.text(
                STRINGS["last_sign_in"],
                rx.el.time(person.last_sign_in, title=person.last_sign_in_exact, date_time=person.last_sign_in_exact),
                size="2",
                color_scheme="gray",
            ),
            rx.cond(person.link_note != "", ui.text(person.link_note, size="2", color_scheme="gray")),
            person_actions(person),
            spacing="1",
            width="100%",
        ),
        class_name="person",
    )


def group_button(label: str, group: str) -> rx.Component:
    selected = PeopleState.group == group
    return ui.button(
        label,
        variant=rx.cond(selected, "solid", "soft"),
        aria_pressed=rx.cond(selected, "true", "false"),
        on_click=PeopleState.show_group(group),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
    )


def toolbar() -> rx.Component:
    return ui.flex(
        ui.hstack(
            group_button(STRINGS["team"], TEAM),
            group_button(STRINGS["customers"], CUSTOMERS),
            spacing="2",
            role="group",
            aria_label=STRINGS["show"],
        ),
        ui.form(
            ui.vstack(
                rx.el.label(STRINGS["search_people"], html_for="people-search", class_name="field-label"),
                ui.hstack(
                    ui.input(
                        id="people-search",
                        name="q",
                        placeholder=STRINGS["search_placeholder"],
                        default_value=PeopleState.search,
                        key=PeopleState.group + PeopleState.search,
                        max_length=100,
                    ),
                    ui.button(STRINGS["search"], type="submit", variant="soft"),
                    spacing="2",
                ),
                spacing="1",
            ),
            on_submit=PeopleState.search_people,
            reset_on_submit=False,
        ),
        justify="between",
        align="end",
        gap="3",
        wrap="wrap",
        width="100%",
    )


def signup_setting() -> rx.Component:
    return ui.card(
        rx.el.label(
            ui.switch(checked=PeopleState.signup_open, on_change=PeopleState.set_signup_open, id="signup-open"),
            ui.text(STRINGS["signup_setting"], size="2"),
            class_name="checkbox-label",
        ),
        width="100%",
    )


def people_page_content() -> rx.Component:
    state = PeopleState
    return ui.vstack(
        ui.flex(
            ui.heading(STRINGS["title"], as_="h1", size="6"),
            ui.button(STRINGS["invite"], on_click=state.open_invite),
            justify="between",
            align="center",
            width="100%",
            gap="3",
        ),
        signup_setting(),
        toolbar(),
        notice(state.notice, "people-notice"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
        rx.cond(
            state.error != "",
            ui.callout(state.error, color_scheme="red", role="alert", width="100%", id="people-error"),
        ),
        rx.cond(
            state.people.length() > 0,  # type: ignore[attr-defined]  # Reflex: a state field is a Var on the class
            ui.vstack(rx.foreach(state.people, person_card), spacing="2", width="100%", id="people"),
            ui.text(STRINGS["nobody"], id="people-empty"),
        ),
        ui.hstack(
            ui.button(STRINGS["previous"], variant="soft", disabled=~state.has_previous, on_click=state.previous_page),
            ui.button(STRINGS["next"], variant="soft", disabled=state.next_cursor == "", on_click=state.next_page),
            justify="end",
            width="100%",
        ),
        invite_dialog(),
        edit_dialog(),
        deactivate_dialog(),
        spacing="4",
        width="100%",
        max_width="900px",
    )


def people_page() -> rx.Component:
    return signed_in_page(
        rx.cond(PeopleState.loaded, rx.cond(PeopleState.allowed, people_page_content(), admins_only())),
        title=STRINGS["title"],
    )
