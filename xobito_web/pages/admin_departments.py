"""/{subdomain}/admin/departments (admins)"""

from __future__ import annotations

import reflex as rx

from xobito_web.components import ui
from xobito_web.components.confirm import confirm_dialog
from xobito_web.components.fields import notice, text_field
from xobito_web.components.layout import signed_in_page
from xobito_web.pages.admin_people import admins_only
from xobito_web.services.admin import DEPARTMENT_NAME_MAX
from xobito_web.state.admin_departments import DepartmentItem, DepartmentsState

# The page's words, in one place.
STRINGS = {
    "title": "Departments",
    "name": "Department name",
    "add": "Add department",
    "new_name_for": "New name for ",
    "save": "Save",
    "cancel": "Cancel",
    "archived": "Archived",
    "archived_note": " · takes no new tickets; its tickets stay visible",
    "rename": "Rename",
    "restore": "Restore",
    "archive": "Archive",
    "archive_title": "Archive ",
    "archive_text": "It takes no new tickets and no new members. Its tickets stay where they are, visible and "
    "answerable as before. You can restore it later.",
}


def add_form() -> rx.Component:
    return ui.card(
        ui.form(
            ui.flex(
                ui.box(
                    text_field(
                        STRINGS["name"],
                        "new-department",
                        "name",
                        DepartmentsState.add_errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                        max_length=DEPARTMENT_NAME_MAX,
                    ),
                    flex="1",
                    min_width="200px",
                ),
                ui.button(STRINGS["add"], type="submit", loading=DepartmentsState.busy, margin_top="22px"),
                gap="3",
                wrap="wrap",
                align="start",
                width="100%",
            ),
            key=DepartmentsState.add_form_key,
            on_submit=DepartmentsState.add_department,
            reset_on_submit=False,
        ),
        width="100%",
    )


def rename_form(department: DepartmentItem) -> rx.Component:
    field_id = "rename-" + department.id
    return ui.form(
        ui.flex(
            ui.box(
                text_field(
                    STRINGS["new_name_for"] + department.name,
                    field_id,
                    "name",
                    DepartmentsState.rename_errors,  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
                    max_length=DEPARTMENT_NAME_MAX,
                    default_value=department.name,
                    auto_focus=True,
                ),
                flex="1",
                min_width="200px",
            ),
            ui.hstack(
                ui.button(STRINGS["save"], type="submit", loading=DepartmentsState.busy),
                ui.button(
                    STRINGS["cancel"],
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=DepartmentsState.cancel_rename,
                ),
                spacing="2",
                margin_top="22px",
            ),
            gap="3",
            wrap="wrap",
            align="start",
            width="100%",
        ),
        on_submit=DepartmentsState.rename_department,
        reset_on_submit=False,
        width="100%",
    )


def department_card(department: DepartmentItem) -> rx.Component:
    state = DepartmentsState
    summary = ui.flex(
        ui.vstack(
            ui.hstack(
                ui.text(department.name, weight="bold", class_name="department-name"),
                rx.cond(department.archived, ui.badge(STRINGS["archived"], color="gray", size="1")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            ui.text(
                department.staff_label,
                rx.cond(department.archived, STRINGS["archived_note"], ""),
                size="2",
                color_scheme="gray",
            ),
            spacing="1",
            min_width="0",
        ),
        ui.flex(
            ui.button(
                STRINGS["rename"],
                size="1",
                variant="soft",
                on_click=state.start_rename(department.id),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                aria_label=STRINGS["rename"] + " " + department.name,
            ),
            rx.cond(
                department.archived,
                ui.button(
                    STRINGS["restore"],
                    size="1",
                    variant="soft",
                    on_click=state.restore_department(department.id),  # type: ignore[misc]  # Reflex: calling an event handler makes an EventSpec
                    aria_label=STRINGS["restore"] + " " + department.name,
                ),
                ui.button(
                    STRINGS["archive"],
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=state.ask_archive(department.id),  # type: ignore[operator]  # Reflex: calling an event handler makes an EventSpec
                    aria_label=STRINGS["archive"] + " " + department.name,
                ),
            ),
            gap="2",
            wrap="wrap",
        ),
        justify="between",
        gap="3",
        wrap="wrap",
        width="100%",
    )
    return ui.card(
        rx.cond(state.renaming_id == department.id, rename_form(department), summary),
        class_name="department",
    )


def archive_dialog() -> rx.Component:
    return confirm_dialog(
        DepartmentsState,
        STRINGS["archive_title"],
        STRINGS["archive_text"],
        STRINGS["cancel"],
        STRINGS["archive"],
        DepartmentsState.archive_department,
    )


def departments_page_content() -> rx.Component:
    state = DepartmentsState
    return ui.vstack(
        ui.heading(STRINGS["title"], as_="h1", size="6"),
        add_form(),
        notice(state.notice, "departments-notice"),  # type: ignore[arg-type]  # Reflex: a state field is a Var on the class
        rx.cond(
            state.error != "",
            ui.callout(state.error, color_scheme="red", role="alert", width="100%", id="departments-error"),
        ),
        ui.vstack(rx.foreach(state.departments, department_card), spacing="2", width="100%", id="departments"),
        archive_dialog(),
        spacing="4",
        width="100%",
        max_width="800px",
    )


def departments_page() -> rx.Component:
    return signed_in_page(
        rx.cond(DepartmentsState.loaded, rx.cond(DepartmentsState.allowed, departments_page_content(), admins_only())),
        title=STRINGS["title"],
    )
