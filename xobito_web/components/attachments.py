"""Choosing files for a message (drop, picker, paste) and showing a message's attachments.

The browser checks type, size and count for a quick message; the server checks again
(services/attachments.py) and its word is the one that counts.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var, VarData
from reflex.vars.sequence import ArrayVar
from reflex_components_core.core.upload import get_upload_files_context_var_data

from xobito_web.components import ui
from xobito_web.services.attachments import ALLOWED_EXTENSIONS, MAX_FILE_SIZE, MAX_FILES

MAX_MB = MAX_FILE_SIZE // (1024 * 1024)
EXTENSION_LIST = ", ".join(ALLOWED_EXTENSIONS[:-1]) + " and " + ALLOWED_EXTENSIONS[-1]
# The composer's words, in one place ({name}, {size} are filled in the browser).
STRINGS = {
    "drop": "Drop files here, paste a screenshot into the message, or ",
    "choose": "Choose files",
    "limits": f"Up to {MAX_FILES} files, {MAX_MB} MB each: " + ", ".join(ALLOWED_EXTENSIONS),
    "chosen": "Chosen files",
    "remove": "Remove ",
    "download": "Download ",
    "input": "Files to attach",
    "upload_progress": "Upload progress",
    "wrong_type": f"{{name}}: only {EXTENSION_LIST} files can be attached",
    "too_large": f"{{name}} is {{size}} MB; the limit is {MAX_MB} MB per file",
    "empty": "{name} is empty",
    "too_many": f"{{name}}: at most {MAX_FILES} files can go with one message",
}


def _files_js(upload_id: str) -> str:
    return f"filesById[{upload_id!r}]"


def remove_chosen_file(upload_id: str, index: Var) -> Var:
    """Drops one chosen file before sending (Reflex only offers clearing them all)."""
    return Var(
        _js_expr=(
            f"(() => setFilesById(filesById => ({{...filesById, {upload_id!r}: "
            f"({_files_js(upload_id)} ?? []).filter((_file, position) => position !== {index})}})))"
        ),
        _var_type=rx.EventChain,
        _var_data=VarData.merge(get_upload_files_context_var_data(), index._get_all_var_data()),
    )


def paste_files_hook(upload_id: str, textarea_id: str) -> Var:
    """A pasted screenshot (or any file) in the message box joins the chosen files."""
    # Listens on the document: the message box is re-created after each sent message.
    hook = f"""useEffect(() => {{
    const onPaste = (event) => {{
      if (event.target?.id !== {textarea_id!r}) return;
      const pasted = [...(event.clipboardData?.files ?? [])].map((file, position) =>
        file.name && file.name !== "image.png" ? file :
        new File([file], `pasted-${{Date.now()}}-${{position + 1}}.${{(file.type.split("/")[1] || "png").replace("jpeg", "jpg")}}`, {{type: file.type}}));
      if (pasted.length === 0) return;
      event.preventDefault();
      setFilesById(filesById => ({{...filesById, {upload_id!r}: [...({_files_js(upload_id)} ?? []), ...pasted]}}));
    }};
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }}, [setFilesById]);"""
    return Var(
        _js_expr="null",
        _var_data=VarData.merge(
            get_upload_files_context_var_data(),
            VarData(imports={"react": "useEffect"}, hooks={hook: None}),
        ),
    )


def _js_template(template: str) -> str:
    """A message of STRINGS as a JavaScript template literal over `file` and `size`."""
    return "`" + template.replace("{name}", "${file.name}").replace("{size}", "${size}") + "`"


def chosen_file_checks(upload_id: str) -> Var:
    """Each chosen file's name and, when it cannot be sent, why in plain words ("" when fine).

    Every file is let in (react-dropzone would drop a refused one with a toast in developer
    words): it stays listed with its error next to the composer until it is removed."""
    allowed = "[" + ", ".join(f"{extension!r}" for extension in ALLOWED_EXTENSIONS) + "]"
    check = (
        f"({_files_js(upload_id)} ?? []).map((file, position) => {{"
        " const parts = file.name.split('.');"
        " const extension = parts.length > 1 ? parts.pop().toLowerCase() : '';"
        " const size = (file.size / 1048576).toFixed(1);"
        f" const error = !{allowed}.includes(extension) ? {_js_template(STRINGS['wrong_type'])}"
        f" : file.size > {MAX_FILE_SIZE} ? {_js_template(STRINGS['too_large'])}"
        f" : file.size === 0 ? {_js_template(STRINGS['empty'])}"
        f" : position >= {MAX_FILES} ? {_js_template(STRINGS['too_many'])} : '';"
        " return {name: file.name, error}; })"
    )
    return Var(_js_expr=check, _var_type=list[dict[str, str]], _var_data=get_upload_files_context_var_data())


def _handler(js: str) -> Var:
    """A browser-only event handler that sets the chosen files (Reflex's upload context)."""
    return Var(_js_expr=js, _var_type=rx.EventChain, _var_data=get_upload_files_context_var_data())


def _choose(upload_id: str, files_js: str) -> str:
    """Copies the event's files at once (the browser empties them after the event), then, like
    Reflex's drop zone, makes them the chosen files in place of those chosen before."""
    return (
        f"const chosen = [...({files_js} ?? [])]; setFilesById(filesById => ({{...filesById, {upload_id!r}: chosen}}))"
    )


def file_chooser(upload_id: str, textarea_id: str) -> rx.Component:
    """A drop zone with the browser's own file input (no drop-zone library on the page): files
    dropped on it or picked with "Choose files" become the chosen files that Reflex's upload sends."""
    input_id = f"{upload_id}-input"
    return ui.vstack(
        rx.el.div(
            rx.el.input(
                type="file",
                multiple=True,
                id=input_id,
                # The button below is the keyboard's one stop; the input stays out of the tab order.
                tab_index=-1,
                aria_label=STRINGS["input"],
                class_name="visually-hidden",
                custom_attrs={
                    # Emptied after each choice, so choosing the same file again is seen.
                    "onChange": _handler(
                        f"((event) => {{ {_choose(upload_id, 'event.target.files')}; event.target.value = ''; }})"
                    ),
                },
            ),
            ui.hstack(
                rx.icon("paperclip", size=16, aria_hidden="true"),
                ui.text(STRINGS["drop"], size="2"),
                ui.button(
                    STRINGS["choose"],
                    type="button",
                    variant="soft",
                    size="1",
                    custom_attrs={"onClick": Var(_js_expr=f"(() => document.getElementById({input_id!r})?.click())")},
                ),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            id=upload_id,
            class_name="dropzone",
            custom_attrs={
                "onDragOver": Var(_js_expr="((event) => event.preventDefault())"),
                "onDrop": _handler(
                    f"((event) => {{ event.preventDefault(); {_choose(upload_id, 'event.dataTransfer?.files')}; }})"
                ),
            },
        ),
        ui.text(STRINGS["limits"], size="1", color_scheme="gray", id=f"{upload_id}-limits"),
        rx.fragment(paste_files_hook(upload_id, textarea_id)),
        chosen_files(upload_id),
        spacing="1",
        width="100%",
    )


def chosen_files(upload_id: str) -> rx.Component:
    """The files to send; one that cannot be sent says why (an alert) until it is removed."""
    return rx.el.ul(
        rx.foreach(
            chosen_file_checks(upload_id),
            lambda file, index: rx.el.li(
                ui.hstack(
                    rx.icon("file", size=14, aria_hidden="true"),
                    ui.text(file["name"], size="2", class_name="chosen-file-name"),
                    ui.icon_button(
                        rx.icon("x", size=12),
                        type="button",
                        size="1",
                        variant="ghost",
                        aria_label=STRINGS["remove"] + file["name"],
                        on_click=remove_chosen_file(upload_id, index),
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.cond(
                    file["error"] != "",
                    ui.text(file["error"], size="2", color_scheme="red", role="alert", class_name="file-error"),
                ),
            ),
        ),
        class_name="chosen-files",
        aria_label=STRINGS["chosen"],
    )


def upload_progress(visible: Var, percent: Var) -> rx.Component:
    return rx.cond(
        visible,
        ui.hstack(
            ui.progress(value=percent, max=100, width="200px", aria_label=STRINGS["upload_progress"]),
            ui.text(percent, "%", size="1", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
    )


def attachment_list(attachments: ArrayVar) -> rx.Component:
    """A message's files: name, size, a download link, and a small preview for images."""
    return rx.cond(
        attachments.length() > 0,
        ui.flex(
            rx.foreach(
                attachments,
                lambda file: ui.card(
                    ui.vstack(
                        ui.when(
                            file.preview_href != "",
                            # A plain <a>: the browser itself fetches the file (no in-app routing).
                            ui.plain_link(
                                rx.image(
                                    src=file.preview_href,
                                    alt=file.name,
                                    max_height="120px",
                                    max_width="200px",
                                    loading="lazy",
                                ),
                                href=file.href,
                                download=file.name,
                                tab_index=-1,
                            ),
                        ),
                        ui.hstack(
                            rx.icon("file-down", size=14),
                            ui.plain_link(
                                file.name,
                                href=file.href,
                                download=file.name,
                                class_name="attachment-link rt-Text rt-r-size-2 rt-Link",
                                aria_label=STRINGS["download"] + file.name,
                            ),
                            ui.text(file.size_label, size="1", color_scheme="gray"),
                            align="center",
                            spacing="2",
                        ),
                        spacing="1",
                    ),
                    size="1",
                    class_name="attachment",
                ),
            ),
            spacing="2",
            wrap="wrap",
            class_name="attachments",
        ),
    )
