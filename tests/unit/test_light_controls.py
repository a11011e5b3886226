"""The list's native form controls (components/light.py) compile to plain elements that keep
Radix Themes' look and the filters' events."""

from __future__ import annotations

from xobito_web.components import light
from xobito_web.pages.ticket_list import filters_bar, pager
from xobito_web.state.ticket_list import TicketListState


def test_a_button_is_marked_disabled_for_radix_only_while_its_condition_holds():
    compiled = str(light.button("Next", variant="soft", disabled=TicketListState.next_cursor == ""))
    assert compiled.startswith('jsx("button",')
    assert "rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button" in compiled
    # [data-disabled] greys the button whatever its value: it must be absent, not "false".
    assert '"data-disabled":((' in compiled and '? "" : undefined)' in compiled
    assert '"data-disabled"' not in str(light.button("Search", type="submit"))


def test_the_filters_are_native_controls_named_by_their_labels():
    compiled = str(filters_bar())
    for control in ("priority-filter", "department-filter", "sort-choice"):
        assert f'id:"{control}"' in compiled
    assert 'jsx("select",' in compiled and 'type:"checkbox"' in compiled
    assert "RadixThemesSelect" not in compiled and "RadixThemesCheckbox" not in compiled
    # Each checkbox sends the opposite of what it shows (the handlers take the new value).
    assert '["checked"] : !(' in compiled


def test_the_pager_disables_previous_and_next_at_the_ends():
    compiled = str(pager())
    assert compiled.count('"data-disabled":(') == 2 and compiled.count('? "" : undefined)') == 2
    assert "RadixThemesButton" not in compiled
