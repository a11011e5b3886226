"""Radix Themes' look on plain elements, for what a page repeats many times (list rows, messages).

A Radix Themes component sorts its props at run time and an `rx.link` adds a CSS-in-JS rule, per
element: fifty rows or a hundred messages made that most of a first page's render. These plain
elements carry the class names and data attributes those components would have produced (Radix
Themes 3.x, pinned in reflex.lock), so the stylesheet styles them the same and React does less.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var
from reflex_components_core.react_router.dom import ReactRouterLink

StrOrVar = str | Var


def _join(*names: str) -> str:
    return " ".join(name for name in names if name)


def flex_column(*children, gap: str = "0", class_name: str = "") -> rx.Component:
    return rx.el.div(*children, class_name=_join(f"rt-Flex rt-r-fd-column rt-r-ai-start rt-r-gap-{gap}", class_name))


def flex_row(*children, gap: str = "2") -> rx.Component:
    return rx.el.div(*children, class_name=f"rt-Flex rt-r-fd-row rt-r-ai-center rt-r-gap-{gap}")


def text(content: StrOrVar, size: str = "", weight: str = "", color: str = "", class_name: str = "") -> rx.Component:
    return rx.el.p(
        content,
        class_name=_join(
            "rt-Text", f"rt-r-size-{size}" if size else "", f"rt-r-weight-{weight}" if weight else "", class_name
        ),
        custom_attrs={"data-accent-color": color} if color else {},
    )


def link(
    content: StrOrVar,
    href: StrOrVar,
    weight: str = "",
    high_contrast: bool = False,
    color: str = "",
    class_name: str = "",
) -> rx.Component:
    """A link to a page of the app: React Router's link (no page load) with Radix's link classes,
    without Radix's Link component and its CSS-in-JS rule."""
    return ReactRouterLink.create(
        content,
        to=href,
        class_name=_join(
            "rt-Text rt-reset rt-Link rt-underline-auto light-link",
            f"rt-r-weight-{weight}" if weight else "",
            "rt-high-contrast" if high_contrast else "",
            class_name,
        ),
        custom_attrs={"data-accent-color": color},
    )


def badge(*children, color: StrOrVar, variant: StrOrVar = "soft", size: str = "2") -> rx.Component:
    return rx.el.span(
        *children,
        # High contrast: text of 4.5:1 and more on the pale badges, a dark solid for Urgent and High.
        class_name=f"rt-reset rt-Badge rt-r-size-{size} rt-high-contrast rt-variant-" + variant,  # type: ignore[operator]  # Reflex: str + a string Var is a Var
        custom_attrs={"data-accent-color": color},
    )


CARD_CLASSES = "rt-reset rt-BaseCard rt-Card rt-r-size-1 rt-variant-surface"


def card(*children, class_name: StrOrVar = "") -> rx.Component:
    return rx.el.div(*children, class_name=f"{CARD_CLASSES} " + class_name)  # type: ignore[operator]  # Reflex: str + a string Var is a Var


def table(*children, aria_label: str) -> rx.Component:
    """`rx.table.root(variant="surface")` without its scroll-area component, which measures its
    content on every change; a plain overflow box scrolls a narrow screen instead."""
    return rx.el.div(
        rx.el.table(*children, class_name="rt-TableRootTable", aria_label=aria_label),
        class_name="rt-TableRoot rt-r-size-2 rt-variant-surface light-table",
    )


def table_row(*children, class_name: str = "", **props) -> rx.Component:
    return rx.el.tr(*children, class_name=_join("rt-TableRow", class_name), **props)


def row_header_cell(*children) -> rx.Component:
    return rx.el.th(*children, class_name="rt-TableCell rt-TableRowHeaderCell", scope="row")


def cell(*children, label: str = "") -> rx.Component:
    """`label` (the column's title) precedes the value when the table is shown as stacked cards."""
    return rx.el.td(*children, class_name="rt-TableCell", custom_attrs={"data-label": label} if label else {})


def _present_when(condition: Var) -> Var:
    """An attribute that is there (empty) while `condition` holds and absent otherwise."""
    return Var(_js_expr=f'({condition!s} ? "" : undefined)', _var_type=str, _var_data=condition._get_all_var_data())


def button(*children, variant: str = "solid", type: str = "button", disabled: Any = None, **props) -> rx.Component:
    """`rx.button(size="2")` as a plain <button>, with the classes and `data-disabled` Radix sets.
    `disabled`: a condition (a Var, or `~` of a state field, which mypy takes for an int)."""
    extra = (
        {}
        if disabled is None
        else {"disabled": disabled, "custom_attrs": {"data-disabled": _present_when(Var.create(disabled))}}
    )
    return rx.el.button(
        *children,
        type=type,
        class_name=f"rt-reset rt-BaseButton rt-r-size-2 rt-variant-{variant} rt-Button",
        **extra,
        **props,
    )


def checkbox(label: StrOrVar, checked: Var | bool, on_change) -> rx.Component:
    """A native checkbox in its label (named by its words, Space toggles it), in the accent colour."""
    return rx.el.label(
        rx.el.input(type="checkbox", checked=checked, on_change=on_change, class_name="light-checkbox"),
        label,
        class_name="rt-Text rt-r-size-2 checkbox-label",
    )


def select(*options, id: str, value: StrOrVar, on_change, label: str) -> rx.Component:
    """A native <select> drawn like Radix's select trigger: the browser's own list, keyboard and
    screen-reader behaviour (arrow keys, type to find, the system's picker on a phone)."""
    return rx.el.select(
        *options,
        id=id,
        value=value,
        on_change=on_change,
        aria_label=label,
        class_name="rt-reset rt-SelectTrigger rt-r-size-2 rt-variant-surface light-select",
    )


def labelled_select(label: str, *options, id: str, value: StrOrVar, on_change) -> rx.Component:
    """`select` under its visible label (the label's words name it for screen readers too)."""
    return flex_column(
        rx.el.label(label, html_for=id, class_name="field-label"),
        select(*options, id=id, value=value, on_change=on_change, label=label),
        gap="1",
    )


def option(label: StrOrVar, value: StrOrVar) -> rx.Component:
    return rx.el.option(label, value=value)


def text_input(width: str = "", **props) -> rx.Component:
    """`rx.input(size="2")`: Radix's text field markup around a plain <input>."""
    return rx.el.div(
        rx.el.input(class_name="rt-reset rt-TextFieldInput", spell_check=False, **props),
        class_name="rt-TextFieldRoot rt-r-size-2 rt-variant-surface",
        style={"width": width} if width else {},
    )
