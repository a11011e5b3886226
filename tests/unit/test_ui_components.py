"""The app's components (components/ui.py) compile to plain elements that keep
Radix Themes' look and the filters' events."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex_base.components.component import Component
from reflex_components_radix.themes.base import RadixThemesComponent

from xobito_web.components import ui
from xobito_web.pages.account_links import password_link_page, sign_up_page
from xobito_web.pages.admin_departments import departments_page
from xobito_web.pages.admin_people import people_page
from xobito_web.pages.api_tokens import profile_tokens_page
from xobito_web.pages.login import login_page
from xobito_web.pages.new_ticket import new_ticket_page
from xobito_web.pages.profile import profile_page
from xobito_web.pages.saved_replies import saved_replies_page
from xobito_web.pages.ticket_list import FIRST_ROWS, filters_bar, pager, ticket_list_page, ticket_table
from xobito_web.pages.ticket_view import thread_message, ticket_view_page
from xobito_web.state.reply import ReplyState
from xobito_web.state.ticket_list import TicketListState
from xobito_web.state.ticket_view import TicketViewState


def test_a_button_is_marked_disabled_for_radix_only_while_its_condition_holds():
    compiled = str(ui.button("Next", variant="soft", disabled=TicketListState.next_cursor == ""))
    assert compiled.startswith('jsx("button",')
    assert "rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button" in compiled
    # [data-disabled] greys the button whatever its value: it must be absent, not "false".
    assert '"data-disabled":((' in compiled and '? "" : undefined)' in compiled
    assert '"data-disabled"' not in str(ui.button("Search", type="submit"))


def test_the_filters_are_native_controls_named_by_their_labels():
    compiled = str(filters_bar())
    for control in ("priority-filter", "department-filter", "sort-choice"):
        assert f'id:"{control}"' in compiled
    assert 'jsx("select",' in compiled and 'type:"checkbox"' in compiled
    assert "RadixThemesSelect" not in compiled and "RadixThemesCheckbox" not in compiled
    # "Waiting on team" and "Assigned to me" send whether the box is now checked (the new value).
    assert compiled.count('toggle_waiting_on_team", ({ ["checked"] : _e?.["target"]?.["checked"] })') == 1
    assert compiled.count('toggle_assigned_to_me", ({ ["checked"] : _e?.["target"]?.["checked"] })') == 1


def test_the_pager_disables_previous_and_next_at_the_ends():
    compiled = str(pager())
    assert compiled.count('"data-disabled":(') == 2 and compiled.count('? "" : undefined)') == 2
    assert "RadixThemesButton" not in compiled


def every_component(component) -> list:
    found, stack = [], [component]
    while stack:
        item = stack.pop()
        found.append(item)
        stack.extend(getattr(item, "children", []))
        for prop in ("cond_state", "comp1", "comp2", "render_fn"):  # rx.cond / rx.foreach branches
            branch = getattr(item, prop, None)
            if isinstance(branch, Component):
                stack.append(branch)
    return found


@pytest.mark.parametrize(
    "page",
    [
        ticket_list_page,
        ticket_view_page,
        new_ticket_page,
        login_page,
        people_page,
        departments_page,
        saved_replies_page,
        profile_page,
        profile_tokens_page,
        sign_up_page,
        password_link_page,
    ],
)
def test_no_page_holds_a_radix_themes_component(page):
    """Plain elements only: Radix Themes' JavaScript stays off every page (issue 17)."""
    components = every_component(page())
    assert len(components) > 20  # the walk reaches into the page
    assert [type(item).__name__ for item in components if isinstance(item, RadixThemesComponent)] == []
    assert "RadixThemes" not in str(page())


def test_a_dialog_is_a_named_modal_that_escape_closes_through_its_cancel_button():
    compiled = str(
        ui.dialog(
            ui.dialog_buttons("Cancel", TicketViewState.set_confirm_close_open, ui.button("Close Ticket")),
            dialog_id="close-dialog",
            open=TicketViewState.confirm_close_open,
            title="Close this ticket?",
            description="The customer can no longer reply.",
            alert=True,
        )
    )
    assert compiled.startswith('jsx("dialog",')
    assert 'role:"alertdialog"' in compiled
    assert '"aria-labelledby":"close-dialog-title"' in compiled
    assert '"aria-describedby":"close-dialog-description"' in compiled
    assert 'id:"close-dialog-title"' in compiled and "Close this ticket?" in compiled
    assert '"data-dialog-cancel":""' in compiled
    assert 'set_confirm_close_open", ({ ["value"] : false })' in compiled  # Cancel closes it through the state
    hooks = "".join(ui.dialog(dialog_id="d", open=TicketViewState.confirm_close_open, title="T")._get_all_hooks())
    assert "showModal()" in hooks and "dialog.close()" in hooks
    assert 'querySelector("[data-dialog-cancel]")?.click()' in hooks  # Escape goes through the state


def test_a_segmented_choice_is_a_group_of_radio_buttons_named_by_their_words():
    compiled = str(
        ui.segmented(
            "kind",
            TicketViewState.ref,
            TicketViewState.set_confirm_close_open,
            [("Reply", "reply"), ("Internal note", "note")],
        )
    )
    assert 'role:"radiogroup"' in compiled
    assert compiled.count('type:"radio"') == 2 and compiled.count('name:"kind"') == 2
    assert '"Internal note"' in compiled


def test_checkboxes_and_switches_send_whether_they_are_checked():
    box = str(ui.checkbox("Replies on my tickets", checked=True, on_change=TicketViewState.set_confirm_close_open))
    assert box.startswith('jsx("label",') and 'type:"checkbox"' in box and "Replies on my tickets" in box
    assert '["value"] : _e?.["target"]?.["checked"]' in box
    switch = str(ui.switch(checked=True, on_change=TicketViewState.set_confirm_close_open))
    assert 'role:"switch"' in switch and '["value"] : _e?.["target"]?.["checked"]' in switch


def test_a_field_the_state_controls_sends_its_changes_after_a_pause_in_typing():
    controlled = ui.text_area(value=TicketViewState.ref, on_change=ReplyState.set_note_mode)
    assert "DebounceInput" in str(controlled)
    assert "DebounceInput" not in str(ui.text_area(default_value="x", name="body"))
    assert "DebounceInput" not in str(ui.input(name="q"))


def test_a_loading_button_keeps_its_words_and_is_disabled():
    compiled = str(ui.button("Send Reply", type="submit", loading=TicketViewState.closing))
    assert '"Send Reply"' in compiled and "disabled:" in compiled and "rt-Spinner" in compiled
    assert '"aria-busy":' in compiled


def test_a_variant_chosen_from_the_state_becomes_radix_s_variant_class():
    variant = rx.cond(TicketViewState.closing, "solid", "soft")
    for compiled in (str(ui.badge("Urgent", color="red", variant=variant)), str(ui.button("Go", variant=variant))):
        assert "rt-variant-" in compiled and '"solid"' in compiled and '"soft"' in compiled
        assert "rt-variant-soft" not in compiled and "rt-variant-solid" not in compiled  # chosen at run time


def test_list_rows_and_message_links_are_the_browsers_own_anchors():
    """`rx.el.a` is React Router's link component in Reflex 0.10 (location and navigation hooks in
    every instance): fifty of them made a large part of the list's render (issue 17). Rows open in
    the page through their click handler; message links leave the app; files download."""
    rows = str(ticket_table())
    messages = str(rx.foreach(TicketViewState.messages, thread_message))
    for rendered in (rows, messages):
        assert "ReactRouterLink" not in rendered
        assert 'jsx("a",' in rendered
    assert "download:" in messages  # the attachment links
    assert "ReactRouterLink" in str(ui.link("Tickets", href="/acme/tickets"))  # in-app links stay in the page


def test_a_message_is_its_article_and_its_plain_text_is_text():
    """A thread renders as few elements as it can (issue 17): the article lays out its header, text
    and attachments itself (no wrapper), and text between links is a text node, not a span."""
    messages = str(rx.foreach(TicketViewState.messages, thread_message))
    assert "message-content" not in messages
    assert 'tabIndex:-1},jsx("div",{className:"rt-Flex rt-r-ai-center rt-r-gap-2"}' in messages  # header first
    assert 'jsx("span",{},piece' not in messages
    assert ' : piece_rx_state_?.["text"])' in messages  # a plain piece is the text itself


def test_what_follows_a_thread_renders_a_frame_after_its_messages():
    """The messages are committed (and painted) first; the composer and the close button follow
    in the next frame. Nothing above the messages waits, so nothing on screen moves."""
    page = str(ticket_view_page())
    deferred = page.index("jsx(AfterFirstPaint")
    assert page.index('id:"thread"') < deferred < page.index('id:"composer-kind"') < page.index('id:"reply-body"')
    assert page.count("jsx(AfterFirstPaint") == 1
    code = "\n".join(ui.AfterFirstPaint.create().add_custom_code())
    assert "requestAnimationFrame" in code and "if (shown) return children;" in code
    assert 'marked ? <div data-rendering-later="" hidden /> : null' in code
    assert "jsx(AfterFirstPaint,{marked:true}" in page  # a11y.js waits for the marker before it scrolls


def test_the_optional_parts_of_a_row_and_a_message_are_plain_conditionals():
    """`rx.cond` wraps itself and each of its branches in a React fragment. A row's optional parts
    (the unread mark, the team's columns, the priority icon, the waiting line) and a message's
    internal-note badge and links are one JavaScript conditional each (`ui.when`): a list's rows
    rendered 116 fibers fewer, 986 -> 870 (issue 17)."""
    rows = str(ticket_table())
    row = rows[rows.index("rows_rx_state_.slice(undefined") : rows.index("jsx(AfterFirstPaint")]
    messages = str(rx.foreach(TicketViewState.messages, thread_message))
    assert row.count("jsx(Fragment") <= 5  # the search snippet's, and each matched word's key
    assert messages.count("jsx(Fragment") <= 4  # each piece's key, the attachments' list
    assert '? (jsx("span", ({"aria-hidden":"true",className:"unread-dot"}))) : null)' in row
    assert 'is_team_rx_state_ ? (jsx("td", ({className:"rt-TableCell","data-label":"Customer"})' in row
    assert " ? (jsx(LucideFlame, ({size:12}))) : null)" in row
    assert '? (jsx("span", ({className:"rt-reset rt-Badge rt-r-size-1' in messages  # the internal note


def test_when_is_a_conditional_without_fragments():
    shown = str(ui.when(TicketListState.loaded, rx.el.span("Loaded")))
    assert shown.endswith('loaded_rx_state_ ? (jsx("span", ({}), "Loaded")) : null)')
    otherwise = str(ui.when(TicketListState.loaded, rx.el.span("Loaded"), "Loading"))
    assert otherwise.endswith('? (jsx("span", ({}), "Loaded")) : "Loading")')
    assert "Fragment" not in shown + otherwise


def test_a_list_renders_its_first_screenful_of_rows_with_its_data_and_the_rest_a_frame_later():
    """25 rows of about 25 fibers each (the empty page's: 10) made the list's render after its data
    twice the empty page's (issue 17); the rows below the first screen follow in the next frame,
    with no marker inside the table's body (a <div> there would not be valid)."""
    table = str(ticket_table())
    first = table.index(f"rows_rx_state_.slice(undefined, {FIRST_ROWS})")
    later = table.index("jsx(AfterFirstPaint,{marked:false}")
    assert first < later < table.index(f"rows_rx_state_.slice({FIRST_ROWS}, undefined)")
    assert table.count("rows_rx_state_.slice(") == 2 and "rows_rx_state_ ?? []" not in table  # each row once


def test_a_search_snippet_is_its_words_with_the_matches_marked_and_no_fallback():
    """A row's subject falls back to the plain subject when the search matched nothing in it; a
    snippet is shown only when it has words, so a fallback would be an always-empty conditional
    in every row (issue 17)."""
    table = str(ticket_table())
    snippet = table[table.index('className:"rt-Text rt-r-size-1 search-snippet"') :]
    snippet = snippet[: snippet.index("))))") + 4]
    assert 'row_rx_state_?.["snippet"]' in snippet and 'jsx("mark"' in snippet  # matched words marked
    assert '(row_rx_state_?.["subject_marks"].length > 0) ? "" : row_rx_state_?.["subject"]' in table
    assert '(row_rx_state_?.["snippet"].length > 0) ? "" : ""' not in table
