"""Attachments as people use them: choose, paste, send, preview, download the same bytes."""

import base64
import hashlib
import re

from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.e2e.test_ticket_portal import create_ticket, open_as
from tests.unit import samples


def choose_files(page: Page, upload_id: str, files: dict[str, tuple[str, bytes]]) -> None:
    page.locator(f"#{upload_id} input[type=file]").set_input_files(
        [FilePayload(name=name, mimeType=mime, buffer=data) for name, (mime, data) in files.items()]
    )


def paste_image(page: Page, textarea_id: str, data: bytes) -> None:
    page.evaluate(
        """([id, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "image.png", {type: "image/png"}));
            document.getElementById(id).dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
        }""",
        [textarea_id, base64.b64encode(data).decode()],
    )


def test_png_and_pdf_on_a_reply_preview_and_download_the_same_bytes(browser: Browser, app, workspace, tmp_path):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Broken invoice layout", "Billing", "Medium", "See the files in my reply.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")

    invoice = samples.pdf("Invoice 2026-118")
    choose_files(
        customer,
        "reply-files",
        {"screenshot.png": ("image/png", samples.png(4, 3)), "invoice.pdf": ("application/pdf", invoice)},
    )
    expect(customer.get_by_label("Chosen files")).to_contain_text("screenshot.png")
    expect(customer.get_by_label("Chosen files")).to_contain_text("invoice.pdf")
    customer.get_by_label("Message").fill("Here are a screenshot and the invoice.")
    customer.get_by_role("button", name="Send Reply").click()

    last_message = customer.locator(".message").last
    expect(last_message.locator(".message-body")).to_have_text("Here are a screenshot and the invoice.")
    expect(last_message.get_by_role("link", name="Download screenshot.png")).to_be_visible()
    expect(last_message.get_by_role("link", name="Download invoice.pdf")).to_be_visible()
    preview = last_message.get_by_role("img", name="screenshot.png")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") == 4  # the preview really loaded
    expect(customer.get_by_label("Chosen files").locator("li")).to_have_count(0)

    admin = open_as(browser, app, workspace, workspace.admin)
    admin.goto(app.url(f"/{workspace.subdomain}/tickets/TKT-000001"))
    with admin.expect_download() as download_info:
        admin.get_by_role("link", name="Download invoice.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "invoice.pdf"
    saved = tmp_path / "invoice.pdf"
    download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(invoice).hexdigest()


def test_a_pasted_screenshot_becomes_an_attachment(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Pasting a screenshot", "Support", "Low", "A screenshot follows.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    customer.get_by_label("Message").fill("A first reply, so the message box is a fresh one.")
    customer.get_by_role("button", name="Send Reply").click()
    expect(customer.locator(".message-body")).to_have_count(2)
    paste_image(customer, "reply-body", samples.png(2, 2))
    expect(customer.get_by_label("Chosen files")).to_contain_text("pasted-")
    customer.get_by_label("Message").fill("Pasted straight from the clipboard.")
    customer.get_by_role("button", name="Send Reply").click()
    last_message = customer.locator(".message").last
    expect(last_message.locator(".message-body")).to_have_text("Pasted straight from the clipboard.")
    expect(last_message.locator(".attachment-link")).to_have_text(re.compile(r"^pasted-\d+-1\.png$"))
    expect(last_message.get_by_role("img")).to_be_visible()


def test_a_file_whose_content_lies_is_refused_and_nothing_is_posted(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Suspicious file", "Support", "Low", "One file is not what it says.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    choose_files(customer, "reply-files", {"photo.png": ("image/png", samples.pdf())})
    customer.get_by_label("Message").fill("This should not be posted.")
    customer.get_by_role("button", name="Send Reply").click()
    expect(customer.locator("#reply-error")).to_contain_text('"photo.png"')
    expect(customer.locator(".message")).to_have_count(1)
    expect(customer.get_by_label("Message")).to_have_value("This should not be posted.")
    customer.reload()
    expect(customer.locator(".message")).to_have_count(1)


def test_files_chosen_on_the_new_ticket_form_are_stored_with_the_ticket(browser: Browser, app, workspace):
    customer = open_as(browser, app, workspace, workspace.customer)
    customer.get_by_role("link", name="New Ticket").first.click()
    # The form is ready once its departments arrived. Opening it also clears files chosen on an
    # earlier visit, an event that can land a moment after the departments: the files are chosen
    # last, as a person would after typing, once the typing has been round the server.
    expect(customer.get_by_role("option", name="Support")).to_be_attached()
    create_ticket_fields = {"Subject": "Crash with notes", "Message": "The notes are attached."}
    for label, value in create_ticket_fields.items():
        customer.get_by_label(label).fill(value)
    customer.get_by_role("combobox", name="Department").select_option(label="Support")
    expect(customer.get_by_text("23 / 2000 characters")).to_be_visible()  # the message reached the server
    choose_files(
        customer, "new-ticket-files", {"notes.txt": ("text/plain", b"Steps to reproduce:\n1. Open\n2. Crash\n")}
    )
    chosen = customer.get_by_label("Chosen files")
    expect(chosen).to_contain_text("notes.txt")
    customer.get_by_role("button", name="Create Ticket").click()
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    expect(customer.locator(".message").first.get_by_role("link", name="Download notes.txt")).to_be_visible()


def test_a_signed_out_download_link_asks_for_sign_in_then_downloads(browser: Browser, app, workspace, tmp_path):
    customer = open_as(browser, app, workspace, workspace.customer)
    create_ticket(customer, "Download after sign-in", "Billing", "Low", "The statement is attached.")
    expect(customer.locator("#ticket-ref")).to_have_text("TKT-000001")
    choose_files(customer, "reply-files", {"statement.pdf": ("application/pdf", samples.pdf("Statement"))})
    customer.get_by_label("Message").fill("Statement attached here.")
    customer.get_by_role("button", name="Send Reply").click()
    link = customer.get_by_role("link", name="Download statement.pdf")
    href = link.get_attribute("href")

    stranger = browser.new_context().new_page()
    stranger.goto(app.url(href))
    expect(stranger).to_have_url(re.compile(r"/login\?next="))
    stranger.get_by_label("Email").fill(workspace.admin)
    stranger.get_by_label("Password").fill(workspace.password)
    with stranger.expect_download() as download_info:
        stranger.get_by_role("button", name="Sign in").click()
    assert download_info.value.suggested_filename == "statement.pdf"
