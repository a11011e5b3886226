"""Choosing files for a message (drop, picker, paste) and showing a message's attachments.

The browser checks type, size and count for a quick message; the server checks again
(services/attachments.py) and its word is the one that counts.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var, VarData
from reflex.vars.sequence import ArrayVar
from reflex_components_core.core.upload import get_upload_files_context_var_data

from xobito_web.services.attachments import ALLOWED_EXTENSIONS, MAX_FILE_SIZE, MAX_FILES

ACCEPT = ",".join(f".{extension}" for extension in ALLOWED_EXTENSIONS)
# react-dropzone wants MIME type -> extensions; listing extensions under a catch-all keeps
# the picker and the drop zone to exactly the allowed extensions.
DROPZONE_ACCEPT = {"application/octet-stream": [f".{extension}" for extension in ALLOWED_EXTENSIONS]}


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


def file_chooser(upload_id: str, textarea_id: str) -> rx.Component:
    return rx.vstack(
        rx.upload.root(
            rx.hstack(
                rx.icon("paperclip", size=16),
                rx.text("Drop files here, paste a screenshot into the message, or ", size="2"),
                rx.button("Choose files", type="button", variant="soft", size="1"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            id=upload_id,
            multiple=True,
            accept=DROPZONE_ACCEPT,
            max_size=MAX_FILE_SIZE,
            max_files=MAX_FILES,
            border="1px dashed var(--gray-a7)",
            border_radius="var(--radius-3)",
            padding="0.6rem 0.8rem",
            width="100%",
            class_name="dropzone",
        ),
        rx.text(
            f"Up to {MAX_FILES} files, {MAX_FILE_SIZE // (1024 * 1024)} MB each: " + ", ".join(ALLOWED_EXTENSIONS),
            size="1",
            color_scheme="gray",
        ),
        rx.fragment(paste_files_hook(upload_id, textarea_id)),
        chosen_files(upload_id),
        spacing="1",
        width="100%",
    )


def chosen_files(upload_id: str) -> rx.Component:
    return rx.el.ul(
        rx.foreach(
            rx.selected_files(upload_id),
            lambda name, index: rx.el.li(
                rx.hstack(
                    rx.icon("file", size=14),
                    rx.text(name, size="2", class_name="chosen-file-name"),
                    rx.icon_button(
                        rx.icon("x", size=12),
                        type="button",
                        size="1",
                        variant="ghost",
                        aria_label="Remove " + name,
                        on_click=remove_chosen_file(upload_id, index),
                    ),
                    align="center",
                    spacing="2",
                )
            ),
        ),
        class_name="chosen-files",
        aria_label="Chosen files",
    )


def upload_progress(visible: Var, percent: Var) -> rx.Component:
    return rx.cond(
        visible,
        rx.hstack(
            rx.progress(value=percent, max=100, width="200px", aria_label="Upload progress"),
            rx.text(percent, "%", size="1", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
    )


def attachment_list(attachments: ArrayVar) -> rx.Component:
    """A message's files: name, size, a download link, and a small preview for images."""
    return rx.cond(
        attachments.length() > 0,
        rx.flex(
            rx.foreach(
                attachments,
                lambda file: rx.card(
                    rx.vstack(
                        rx.cond(
                            file.preview_href != "",
                            # reload_document: the browser itself fetches the file (no in-app routing).
                            rx.el.a(
                                rx.image(
                                    src=file.preview_href,
                                    alt=file.name,
                                    max_height="120px",
                                    max_width="200px",
                                    loading="lazy",
                                ),
                                href=file.href,
                                download=file.name,
                                reload_document=True,
                                tab_index=-1,
                            ),
                        ),
                        rx.hstack(
                            rx.icon("file-down", size=14),
                            rx.el.a(
                                file.name,
                                href=file.href,
                                download=file.name,
                                reload_document=True,
                                class_name="attachment-link rt-Text rt-r-size-2 rt-Link",
                                aria_label="Download " + file.name,
                            ),
                            rx.text(file.size_label, size="1", color_scheme="gray"),
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
