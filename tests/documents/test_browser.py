"""In Chromium against the real server: several files dropped on the panel upload through the API
with progress bars, the panel refreshes in place, and the one-click `documents_complete` button."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.documents.models import DocumentVersion
from hub.extensions import db
from tests.milestones.test_browser import signed_in_page

PDF_TEXT = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def drop_files(page: Any, files: dict[str, str], doc_type: str | None = None) -> None:
    """Drop text files on the panel's drop zone as a user dragging them from the desktop would,
    having chosen `doc_type` first. One step in the page: a live refresh of the panel (a socket
    event of the last upload) cannot land between choosing the type and dropping."""
    page.evaluate(
        """([files, docType]) => {
            if (docType) { document.querySelector("#upload-doc-type").value = docType; }
            const transfer = new DataTransfer();
            for (const [name, text] of Object.entries(files)) {
                transfer.items.add(new File([text], name, {type: "application/pdf"}));
            }
            const zone = document.querySelector("[data-dropzone]");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        [files, doc_type],
    )


def test_dropping_several_files_uploads_each_and_refreshes_the_panel(live, browser, world):
    page = signed_in_page(browser, live, world.agent.email, f"/shipments/{world.shipment.id}")
    page.select_option("#upload-doc-type", "packing_list")
    page.evaluate("""() => { window.progressSeen = 0;
        const original = XMLHttpRequest.prototype.send;
        XMLHttpRequest.prototype.send = function (body) {
            this.upload.addEventListener("progress", () => { window.progressSeen += 1; });
            return original.call(this, body);
        }; }""")
    drop_files(page, {"packing-1.pdf": PDF_TEXT + "1", "packing-2.pdf": PDF_TEXT + "2", "evil.pdf": "MZ\x00\x00PE"})
    page.wait_for_selector("#documents-status:has-text('已上传 2/3 个文件')")  # Li Wei reads Chinese
    assert "evil.pdf" in page.inner_text("[data-upload-progress]")
    # The refusal stands beside the file, in the upload form, not at the other end of the panel.
    refused = page.locator("[data-upload-progress] li:has-text('evil.pdf') .danger")
    assert refused.is_visible() and "evil.pdf" in refused.inner_text()
    # The agent reads Chinese: the summary says 2 of 3 uploaded and 1 failed, in their words.
    assert page.inner_text("[data-upload-form] [data-upload-status]") == "已上传 2/3 个文件；1 个失败（见下方）。"
    # A refresh of the panel (the two good files shown) keeps the refusal beside its file.
    page.wait_for_selector("#documents .doc-list:has-text('packing-2.pdf')", timeout=15_000)
    assert "evil.pdf" in page.inner_text("[data-upload-form] [data-upload-progress]")
    assert page.evaluate("window.progressSeen") >= 1
    page.wait_for_selector("#documents li[data-document-id]", timeout=15_000)
    names = page.inner_text("#documents .doc-list")
    assert "packing-1.pdf" in names and "packing-2.pdf" in names
    db.session.rollback()
    assert len(db.session.scalars(select(DocumentVersion)).all()) == 2


def test_a_partly_refused_drop_shows_the_stored_file_while_the_user_stays_in_the_form(live, browser, world):
    page = signed_in_page(browser, live, world.agent.email, f"/shipments/{world.shipment.id}")
    page.wait_for_selector('#thread-status[data-state="live"]')
    # The user's focus stays in the form: the upload's live event must not be what shows the file.
    page.focus("#upload-note")
    drop_files(page, {"kept.pdf": PDF_TEXT + "kept", "evil.pdf": "MZ\x00\x00PE"}, doc_type="packing_list")
    page.wait_for_selector("#documents .doc-list:has-text('kept.pdf')", timeout=4_000)
    assert "evil.pdf" in page.inner_text("[data-upload-form] [data-upload-progress]")
    assert "flash-error" in page.get_attribute("#documents-status", "class")


def test_the_one_click_button_records_documents_complete(live, browser, world):
    agent = signed_in_page(browser, live, world.agent.email, f"/shipments/{world.shipment.id}")
    for doc_type in ("commercial_invoice", "packing_list", "bill_of_lading"):
        # Picking a file and then clicking are two steps for the browser driver: the previous
        # upload's live refresh could replace the form between them (a person's pick is one).
        drop_files(agent, {f"{doc_type}.pdf": PDF_TEXT + doc_type}, doc_type=doc_type)
        agent.wait_for_selector(f"#documents .doc-list:has-text('{doc_type}.pdf')")
    broker = signed_in_page(browser, live, world.broker.email, f"/shipments/{world.shipment.id}")
    for _ in range(3):
        broker.click("#documents .doc-list form:has(input[value=accept]) button")
        broker.wait_for_load_state()
    broker.wait_for_selector("[data-record-documents-complete]")
    broker.click("[data-record-documents-complete]")
    broker.wait_for_selector("#documents-status:has-text('recorded')")
    assert broker.locator("[data-record-documents-complete]").count() == 0
    from hub.milestones.models import Milestone

    db.session.rollback()
    assert [m.code for m in db.session.scalars(select(Milestone))] == ["documents_complete"]


def test_a_document_uploaded_in_one_browser_appears_in_another_without_a_reload(live, browser, world):
    path = f"/shipments/{world.shipment.id}"
    broker = signed_in_page(browser, live, world.broker.email, path)
    broker.wait_for_selector('#thread-status[data-state="live"]')
    broker.evaluate("window.__sameDocument = true")
    agent = signed_in_page(browser, live, world.agent.email, path)
    agent.select_option("#upload-doc-type", "packing_list")
    agent.set_input_files("#upload-files", files=[{"name": "live-packing.pdf", "mimeType": "application/pdf",
                                                   "buffer": (PDF_TEXT + "live").encode()}])
    agent.click("[data-upload-form] button[type=submit]")
    # The broker's page shows it, its checklist moves, and the page was never reloaded.
    broker.wait_for_selector("#documents .doc-list:has-text('live-packing.pdf')")
    assert broker.get_attribute('#documents li[data-doc-type="packing_list"]', "data-state") == "received"
    assert broker.evaluate("window.__sameDocument") is True
    # The broker rejects it; the agent's page shows the review live.
    broker.click("#documents .doc-list details:has(summary:text('Reject…')) summary")
    broker.fill("#documents .doc-list textarea[name=reason]", "Unsigned")
    broker.click("#documents .doc-list form:has(input[value=reject]) button[type=submit]")
    agent.wait_for_selector('#documents li[data-doc-type="packing_list"][data-state="rejected"]')
    # A PDF previews in the page, in the browser's own viewer (the frame is not sandboxed by
    # attribute, which would block the viewer; its answer's policy runs nothing).
    with agent.expect_response(lambda r: "/preview" in r.url) as preview:
        agent.click("#documents .doc-preview summary")
    assert preview.value.status == 200
    assert preview.value.headers["content-type"] == "application/pdf"
    assert preview.value.headers["content-disposition"].startswith("inline")
    assert agent.locator("#documents .doc-preview-frame").is_visible()
