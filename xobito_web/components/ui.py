"""The app's components as plain HTML elements in Radix Themes' look, with no Radix JavaScript.

Each function takes the props the pages used with Reflex's Radix Themes components (`rx.vstack`,
`rx.button`, `rx.callout`, …) and renders the elements and class names Radix Themes 3.x would
(pinned in reflex.lock), so its stylesheet draws them the same. Reflex otherwise puts the whole of
Radix Themes' JavaScript (≈ 480 KB, and its Theme wrapper) on every page, which made a first page
about twice as slow as an empty Reflex page (issue 17, bench/floor.py). Interactive parts use the
browser's own controls: <select>, <input type="checkbox"> (also as a switch), radio buttons for a
segmented choice, <progress>, and <dialog> opened as a modal (focus kept inside, Escape closes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.vars.base import LiteralVar, Var, VarData
from reflex_base.event import EventChain, checked_input_event
from reflex_base.utils.types import ArgsSpec
from reflex_components_core.core.debounce import DebounceInput
from reflex_components_core.el.elements.forms import Input
from reflex_components_core.el.elements.inline import A as HtmlAnchor
from reflex_components_core.react_router.dom import ReactRouterLink

StrOrVar = str | Var
SPACE_STEPS = {str(step) for step in range(10)}


def _classes(*names: Any) -> Any:
    """Class names joined with spaces; a Var among them makes the result a Var."""
    kept = [name for name in names if isinstance(name, Var) or name]  # a Var is never dropped
    if not any(isinstance(name, Var) for name in kept):
        return " ".join(str(name) for name in kept)
    joined: Any = ""
    for index, name in enumerate(kept):
        joined = joined + (" " if index else "") + name
    return joined


def _accent(color_scheme: StrOrVar | None) -> dict[str, Any]:
    if isinstance(color_scheme, Var) or color_scheme:
        return {"data-accent-color": color_scheme}
    return {}


def _merge_attrs(props: dict[str, Any], attrs: dict[str, Any]) -> None:
    if attrs:
        props["custom_attrs"] = {**props.get("custom_attrs", {}), **attrs}


# Radix's layout props that are classes: padding/margin steps, flex direction, alignment, gap.
_SPACE_PROPS = {
    "padding": "p",
    "padding_x": "px",
    "padding_y": "py",
    "padding_top": "pt",
    "padding_bottom": "pb",
    "margin": "m",
    "margin_top": "mt",
    "margin_bottom": "mb",
    "margin_x": "mx",
    "margin_y": "my",
}
_ALIGN = {"start": "start", "center": "center", "end": "end", "baseline": "baseline", "stretch": "stretch"}
_JUSTIFY = {"start": "start", "center": "center", "end": "end", "between": "space-between"}


def _layout_classes(props: dict[str, Any]) -> list[str]:
    """Takes Radix's space props with a step ("0"–"9") and width="100%" out of `props` as classes;
    any other value (e.g. margin_top="22px") stays a style."""
    classes = []
    for prop, short in _SPACE_PROPS.items():
        value = props.get(prop)
        if isinstance(value, str) and value in SPACE_STEPS:
            classes.append(f"rt-r-{short}-{props.pop(prop)}")
    if props.get("width") == "100%":
        props.pop("width")
        classes.append("full-width")
    return classes


def flex(
    *children,
    direction: str = "row",
    align: str = "",
    justify: str = "",
    wrap: str = "",
    spacing: str = "",
    gap: str = "",
    class_name: StrOrVar = "",
    **props,
) -> rx.Component:
    classes = ["rt-Flex", f"rt-r-fd-{direction}" if direction != "row" else ""]
    if align:
        classes.append(f"rt-r-ai-{_ALIGN[align]}")
    if justify:
        classes.append(f"rt-r-jc-{_JUSTIFY[justify]}")
    if wrap:
        classes.append(f"rt-r-fw-{wrap}")
    if spacing or gap:
        classes.append(f"rt-r-gap-{spacing or gap}")
    classes += _layout_classes(props)
    return rx.el.div(*children, class_name=_classes(*classes, class_name), **props)


def vstack(*children, spacing: str = "3", align: str = "start", **props) -> rx.Component:
    return flex(*children, direction="column", spacing=spacing, align=align, **props)


def hstack(*children, spacing: str = "3", align: str = "start", **props) -> rx.Component:
    return flex(*children, direction="row", spacing=spacing, align=align, **props)


def center(*children, **props) -> rx.Component:
    return flex(*children, align="center", justify="center", **props)


def box(*children, class_name: StrOrVar = "", **props) -> rx.Component:
    classes = _layout_classes(props)
    return rx.el.div(*children, class_name=_classes("rt-Box", *classes, class_name), **props)


def text(
    *children,
    size: str = "",
    weight: str = "",
    color_scheme: StrOrVar = "",
    as_: str = "p",
    class_name: StrOrVar = "",
    **props,
) -> rx.Component:
    classes = ["rt-Text", f"rt-r-size-{size}" if size else "", f"rt-r-weight-{weight}" if weight else ""]
    classes += _layout_classes(props)
    _merge_attrs(props, _accent(color_scheme))
    element = {"p": rx.el.p, "span": rx.el.span, "div": rx.el.div, "label": rx.el.label}[as_]
    return element(*children, class_name=_classes(*classes, class_name), **props)


def span(*children, **props) -> rx.Component:
    return text(*children, as_="span", **props)


def strong(*children, **props) -> rx.Component:
    return rx.el.strong(*children, class_name="rt-Strong", **props)


def heading(*children, size: str = "6", as_: str = "h1", class_name: str = "", **props) -> rx.Component:
    element = {"h1": rx.el.h1, "h2": rx.el.h2, "h3": rx.el.h3}[as_]
    return element(*children, class_name=_classes("rt-Heading", f"rt-r-size-{size}", class_name), **props)


def link(
    *children,
    href: StrOrVar,
    size: str = "",
    weight: str = "",
    class_name: StrOrVar = "",
    **props,
) -> rx.Component:
    """A link to a page of the app: React Router's link (no page load) with Radix's link classes,
    without Radix's Link component and its CSS-in-JS rule."""
    classes = _classes(
        "rt-Text rt-reset rt-Link rt-underline-auto light-link",
        f"rt-r-size-{size}" if size else "",
        f"rt-r-weight-{weight}" if weight else "",
        class_name,
    )
    # Radix's link always carries the attribute ("": the accent colour), which colours it.
    _merge_attrs(props, {"data-accent-color": ""})
    return ReactRouterLink.create(*children, to=href, class_name=classes, **props)


def when(condition: Var | bool, component: rx.Component, otherwise: rx.Component | Var | str | None = None) -> Var:
    """`component` where `condition` holds, else `otherwise` (a component or a text; by default
    nothing), as one JavaScript conditional. `rx.cond` wraps each branch and itself in a React
    fragment: three fibers for every optional part of a list's row or a thread's message (the
    list's render after its data went from 986 to 870 fibers with this, issue 17)."""
    return rx.cond(condition, Var.create(component), Var.create(otherwise))


class AfterFirstPaint(rx.Component):
    """Its children render one frame after it mounts: a page's main content (a thread's messages,
    a list's first rows) is committed and painted first, and what comes after it (the composer,
    the rows below the first screen) right after, instead of all of it in one long first render
    (issue 17)."""

    tag = "AfterFirstPaint"

    # Until then, a hidden marker says the page is still rendering (assets/a11y.js waits for it
    # before it scrolls a long thread to its newest message); False: nothing (inside a table body).
    marked: Var[bool] = Var.create(True)

    def add_imports(self) -> dict[str, Any]:
        return {"react": ["useState", "useEffect"]}

    def add_custom_code(self) -> list[str]:
        return [
            """function AfterFirstPaint({ children, marked }) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const frame = requestAnimationFrame(() => setShown(true));
    return () => cancelAnimationFrame(frame);
  }, []);
  if (shown) return children;
  return marked ? <div data-rendering-later="" hidden /> : null;
}"""
        ]


def after_first_paint(*children, marked: bool = True) -> rx.Component:
    return AfterFirstPaint.create(*children, marked=marked)


def plain_link(*children, **props) -> rx.Component:
    """The browser's own <a>. In Reflex 0.10 `rx.el.a` is React Router's link component (hooks for
    the location, the href and the click handler in every instance): a list of fifty of them made a
    large part of its render. For links that leave the app, download a file, jump within the page,
    or sit in a row opened by `in_page_click`."""
    return HtmlAnchor.create(*children, **props)


CARD_CLASSES = "rt-reset rt-BaseCard rt-Card rt-r-size-1 rt-variant-surface"


def card(*children, size: str = "1", class_name: StrOrVar = "", **props) -> rx.Component:
    classes = _layout_classes(props)
    card_classes = CARD_CLASSES.replace("rt-r-size-1", f"rt-r-size-{size}")
    return rx.el.div(*children, class_name=_classes(card_classes, *classes, class_name), **props)


def spinner(size: str = "2") -> rx.Component:
    return rx.el.span(
        *[rx.el.span(class_name="rt-SpinnerLeaf") for _ in range(8)], class_name=f"rt-Spinner rt-r-size-{size}"
    )


def button(
    *children,
    variant: StrOrVar = "solid",
    size: str = "2",
    color_scheme: StrOrVar = "",
    high_contrast: Any = False,
    loading: Any = None,
    disabled: Any = None,
    type: str = "button",
    class_name: StrOrVar = "",
    **props,
) -> rx.Component:
    """A <button> with Radix's button classes. `loading`: disabled with a spinner beside the words
    (which stay, so the button keeps its name); `disabled`/`loading` may be state conditions."""
    classes: list[Any] = ["rt-reset rt-BaseButton", f"rt-r-size-{size}"]
    classes.append(f"rt-variant-{variant}")  # a Var in an f-string stays a Var (Reflex)
    if isinstance(high_contrast, Var):
        classes.append(rx.cond(high_contrast, "rt-high-contrast", ""))
    elif high_contrast:
        classes.append("rt-high-contrast")
    classes.append("rt-Button")
    classes += _layout_classes(props)
    blocked = _either(loading, disabled)
    attrs = _accent(color_scheme)
    if blocked is not None:
        props["disabled"] = blocked
        attrs["data-disabled"] = _present_when(blocked)
        attrs["aria-busy"] = rx.cond(loading, "true", "false") if loading is not None else None
        attrs = {name: value for name, value in attrs.items() if value is not None}
    _merge_attrs(props, attrs)
    content = list(children)
    if loading is not None:
        content.append(rx.cond(loading, spinner("2")))
    return rx.el.button(*content, type=type, class_name=_classes(*classes, class_name), **props)


def icon_button(
    *children, variant: str = "soft", size: str = "2", type: str = "button", class_name: str = "", **props
) -> rx.Component:
    return rx.el.button(
        *children,
        type=type,
        class_name=_classes(f"rt-reset rt-BaseButton rt-r-size-{size} rt-variant-{variant} rt-IconButton", class_name),
        **props,
    )


def _either(first: Any, second: Any) -> Var | None:
    """A condition true when either given one is (None: not given)."""
    given = [Var.create(value) for value in (first, second) if value is not None]
    if not given:
        return None
    return given[0] if len(given) == 1 else (given[0] | given[1])


def _present_when(condition: Var) -> Var:
    """An attribute that is there (empty) while `condition` holds and absent otherwise."""
    return Var(_js_expr=f'({condition!s} ? "" : undefined)', _var_type=str, _var_data=condition._get_all_var_data())


def callout(
    message: Any,
    icon: str | None = None,
    color_scheme: StrOrVar = "",
    size: str = "2",
    class_name: str = "",
    **props,
) -> rx.Component:
    classes = [f"rt-CalloutRoot rt-r-size-{size} rt-variant-soft", *_layout_classes(props)]
    _merge_attrs(props, _accent(color_scheme))
    return rx.el.div(
        rx.el.div(rx.icon(icon, size=16, aria_hidden="true"), class_name="rt-CalloutIcon") if icon else rx.fragment(),
        rx.el.div(message, class_name="rt-Text rt-CalloutText"),
        class_name=_classes(*classes, class_name),
        **props,
    )


def _debounced(field: rx.Component, props: dict[str, Any]) -> rx.Component:
    """A field whose value the state controls sends its changes after a pause in typing (as
    `rx.input` does), so a keystroke is never undone by the answer to an earlier one."""
    if props.get("value") is not None and props.get("on_change") is not None:
        return DebounceInput.create(field)
    return field


def input(width: str = "", **props) -> rx.Component:
    """`rx.input(size="2")`: Radix's text field markup around a plain <input>."""
    props.pop("size", None)
    field = rx.el.input(class_name="rt-reset rt-TextFieldInput", spell_check=False, **props)
    return rx.el.div(
        _debounced(field, props),
        class_name=_classes("rt-TextFieldRoot rt-r-size-2 rt-variant-surface", "full-width" if width == "100%" else ""),
        style={"width": width} if width and width != "100%" else {},
    )


def text_area(width: str = "", class_name: str = "", **props) -> rx.Component:
    """`rx.text_area(size="2")`: Radix's text area markup around a plain <textarea>."""
    field = rx.el.textarea(class_name="rt-reset rt-TextAreaInput", **props)
    return rx.el.div(
        _debounced(field, props),
        class_name=_classes(
            "rt-TextAreaRoot rt-r-size-2 rt-variant-surface", "full-width" if width else "", class_name
        ),
    )


class _CheckboxInput(Input):
    """<input type="checkbox"> whose on_change passes whether it is checked (not its value)."""

    @classmethod
    def get_event_triggers(cls) -> dict[str, ArgsSpec | Sequence[ArgsSpec]]:
        return {**super().get_event_triggers(), "on_change": checked_input_event}


def checkbox(label: StrOrVar | None = None, **props) -> rx.Component:
    """A native checkbox; with `label`, inside a <label> with those words (which name it)."""
    box = _CheckboxInput.create(type="checkbox", class_name="light-checkbox", **props)
    if label is None:
        return box
    return rx.el.label(box, label, class_name="rt-Text rt-r-size-2 checkbox-label")


def switch(**props) -> rx.Component:
    """An on/off control: a native checkbox that screen readers announce as a switch."""
    return _CheckboxInput.create(type="checkbox", role="switch", class_name="ui-switch", **props)


def progress(value: Var, max: int = 100, width: str = "", **props) -> rx.Component:
    return rx.el.progress(
        value=value, max=max, class_name="ui-progress", style={"width": width} if width else {}, **props
    )


def form(*children, width: str = "", class_name: str = "", **props) -> rx.Component:
    """A plain <form> (Reflex's `rx.form` brings Radix's form primitive along)."""
    return rx.el.form(*children, class_name=_classes("full-width" if width else "", class_name), **props)


def segmented(name: str, value: Any, on_change, options: list[tuple[str, str]], **props) -> rx.Component:
    """A choice of a few options shown side by side (Radix's segmented control): radio buttons in
    their labels, so the arrow keys move the choice and screen readers say "radio, 1 of 2"."""
    return rx.el.div(
        *[
            rx.el.label(
                rx.el.input(
                    type="radio",
                    name=name,
                    value=option_value,
                    checked=value == option_value,
                    on_change=on_change(option_value),
                    class_name="ui-segment-input",
                ),
                rx.el.span(label),
                class_name="ui-segment",
            )
            for label, option_value in options
        ],
        role="radiogroup",
        class_name="ui-segmented",
        **props,
    )


def dialog(
    *children,
    dialog_id: str,
    open: Any,
    title: Any,
    description: Any = None,
    alert: bool = False,
    max_width: str = "480px",
) -> rx.Component:
    """A modal <dialog> shown while `open` holds: the browser keeps focus inside it and makes the
    page behind it inert. Escape (the dialog's "cancel") presses the button marked
    `data-dialog-cancel` inside it, whose own click handler closes it through the state.
    `alert`: a question about a change (role alertdialog)."""
    title_id, description_id = f"{dialog_id}-title", f"{dialog_id}-description"
    open_var = Var.create(open)
    hook = f"""useEffect(() => {{
    const dialog = document.getElementById({dialog_id!r});
    if (!dialog) return;
    if ({open_var!s}) {{ if (!dialog.open) dialog.showModal(); }} else if (dialog.open) dialog.close();
  }}, [{open_var!s}]);
  useEffect(() => {{
    const dialog = document.getElementById({dialog_id!r});
    if (!dialog) return;
    const cancel = (event) => {{ event.preventDefault(); dialog.querySelector("[data-dialog-cancel]")?.click(); }};
    dialog.addEventListener("cancel", cancel);
    return () => dialog.removeEventListener("cancel", cancel);
  }}, []);"""
    opener: Var = Var(
        _js_expr="null",
        _var_data=VarData.merge(
            open_var._get_all_var_data(), VarData(imports={"react": "useEffect"}, hooks={hook: None})
        ),
    )
    return rx.el.dialog(
        rx.fragment(opener),
        rx.el.h2(title, id=title_id, class_name="rt-Heading rt-r-size-5 ui-dialog-title"),
        text(description, size="2", id=description_id, class_name="ui-dialog-description")
        if description is not None
        else rx.fragment(),
        *children,
        id=dialog_id,
        role="alertdialog" if alert else "dialog",
        aria_labelledby=title_id,
        aria_describedby=description_id if description is not None else None,
        class_name="ui-dialog",
        style={"max_width": f"min({max_width}, calc(100vw - 2rem))"},
    )


def dialog_cancel(*children, **props) -> rx.Component:
    """The dialog's way out: Escape presses it too."""
    _merge_attrs(props, {"data-dialog-cancel": ""})
    return button(*children, **props)


def dialog_opener(*children, set_open: Any, **props) -> rx.Component:
    """The button that opens a dialog: `set_open(True)` (the dialog's state handler)."""
    return button(*children, on_click=set_open(True), **props)


def dialog_buttons(cancel: str, set_open: Any, confirm: rx.Component, **props) -> rx.Component:
    """A dialog's closing row: its Cancel (which Escape presses too), `set_open(False)` through
    the dialog's state handler, and the button that acts."""
    return hstack(
        dialog_cancel(cancel, variant="soft", color_scheme="gray", on_click=set_open(False)),
        confirm,
        justify="end",
        spacing="3",
        **props,
    )


def in_page_click(href: StrOrVar) -> Var:
    """A click handler for a container of plain links (a list's row): a plain click anywhere in it
    opens `href` in this page (React Router, no page load); a click with a modifier key or another
    button keeps the browser's own behaviour (a new tab or window). One handler per row instead of a
    router link component per link: a list of fifty links renders noticeably faster."""
    redirect = LiteralVar.create(EventChain(events=[rx.redirect(href)], args_spec=lambda event: [event]))
    return Var(
        _js_expr=(
            "((event) => { if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey"
            f" || event.shiftKey || event.altKey) return; event.preventDefault(); ({redirect!s})(event); }})"
        ),
        _var_type=EventChain,
        _var_data=redirect._get_all_var_data(),
    )


# Radix Themes' badge and table, and the browser's <select>, for what a page repeats many times.


def badge(*children, color: StrOrVar, variant: StrOrVar = "soft", size: str = "2") -> rx.Component:
    return rx.el.span(
        *children,
        # High contrast: text of 4.5:1 and more on the pale badges, a dark solid for Urgent and High.
        class_name=f"rt-reset rt-Badge rt-r-size-{size} rt-high-contrast rt-variant-{variant}",
        custom_attrs={"data-accent-color": color},
    )


def table(*children, aria_label: str) -> rx.Component:
    """`rx.table.root(variant="surface")` without its scroll-area component, which measures its
    content on every change; a plain overflow box scrolls a narrow screen instead."""
    return rx.el.div(
        rx.el.table(*children, class_name="rt-TableRootTable", aria_label=aria_label),
        class_name="rt-TableRoot rt-r-size-2 rt-variant-surface light-table",
    )


def table_row(*children, class_name: str = "", **props) -> rx.Component:
    return rx.el.tr(*children, class_name=_classes("rt-TableRow", class_name), **props)


def row_header_cell(*children) -> rx.Component:
    return rx.el.th(*children, class_name="rt-TableCell rt-TableRowHeaderCell", scope="row")


def cell(*children, label: str = "") -> rx.Component:
    """`label` (the column's title) precedes the value when the table is shown as stacked cards."""
    return rx.el.td(*children, class_name="rt-TableCell", custom_attrs={"data-label": label} if label else {})


def select(*options, id: str, value: StrOrVar, on_change, label: str = "", **props) -> rx.Component:
    """A native <select> drawn like Radix's select trigger: the browser's own list, keyboard and
    screen-reader behaviour (arrow keys, type to find, the system's picker on a phone).
    `label`: its name when no <label> points at it."""
    return rx.el.select(
        *options,
        id=id,
        value=value,
        on_change=on_change,
        **({"aria_label": label} if label else {}),
        class_name="rt-reset rt-SelectTrigger rt-r-size-2 rt-variant-surface light-select",
        **props,
    )


def labelled_select(label: str, *options, id: str, value: StrOrVar, on_change) -> rx.Component:
    """`select` under its visible label (the label's words name it for screen readers too)."""
    return vstack(
        rx.el.label(label, html_for=id, class_name="field-label"),
        select(*options, id=id, value=value, on_change=on_change, label=label),
        spacing="1",
    )


def option(label: StrOrVar, value: StrOrVar, disabled: bool = False) -> rx.Component:
    """`disabled`: a prompt shown while nothing is chosen ("Choose a department"), not a choice."""
    return rx.el.option(label, value=value, disabled=disabled) if disabled else rx.el.option(label, value=value)
