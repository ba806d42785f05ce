""""Create proposal…" on a finished batch (issue 18) through the real window: the small dialog,
the file written off the GUI thread, the PDF read back."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pypdf
from PySide6.QtCore import Qt

from bulkquote_gui.gui.dialogs.proposal_dialog import ProposalDialog


def _finished_batch(qtbot, window, tmp_path):
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Company", "Address", "City", "State", "ZIP"])
        out.writerow(["Site 0", "600 Congress Ave", "Austin", "TX", "78701"])
        out.writerow(["Site 1", "1 Test St", "Austin", "TX", "78701"])      # not found
        out.writerow(["Site 2", "500 Broad St", "Seattle", "WA", "98109"])
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)
    page = window.progress_page
    assert not page.proposal_button.isEnabled()
    with qtbot.waitSignal(window.batch_finished, timeout=30_000):
        with qtbot.waitSignal(window.batch_opened, timeout=20_000):
            qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    return page


def test_create_proposal_writes_the_pdf_the_rep_asked_for(qtbot, window, dialogs, tmp_path):
    window.context.settings = replace(window.context.settings, company_name="Acme Networks")
    page = _finished_batch(qtbot, window, tmp_path)
    assert page.proposal_button.isEnabled()
    target = tmp_path / "for globex.pdf"
    asked: list[ProposalDialog] = []

    def fill(dialog: ProposalDialog) -> bool:
        asked.append(dialog)
        assert dialog.path_edit.text().endswith("mixed - proposal.pdf")
        dialog.customer_edit.setText("Globex")
        dialog.page_combo.setCurrentIndex(dialog.page_combo.findData("a4"))
        dialog.path_edit.setText(str(target))
        dialog.create_button.click()
        return dialog.result() == ProposalDialog.DialogCode.Accepted

    dialogs.dialog_scripts.append(fill)
    with qtbot.waitSignal(window.exports.proposal_written, timeout=20_000) as written:
        qtbot.mouseClick(page.proposal_button, Qt.MouseButton.LeftButton)
    assert written.args == [str(target), 2]
    reader = pypdf.PdfReader(io.BytesIO(target.read_bytes()))
    assert round(float(reader.pages[0].mediabox.width)) == 595          # A4
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "Acme Networks" in text and "Prepared for Globex" in text
    assert "600 Congress Ave" in text and "500 Broad St" in text and "1 Test St" in text
    assert "could not be priced: Address not found" in text


def test_a_proposal_that_cannot_be_written_is_told_in_a_sentence(qtbot, window, dialogs, tmp_path):
    page = _finished_batch(qtbot, window, tmp_path)

    def fill(dialog: ProposalDialog) -> bool:
        dialog.path_edit.setText(str(tmp_path / "no such folder" / "p.pdf"))
        dialog.create_button.click()
        return True

    dialogs.dialog_scripts.append(fill)
    with qtbot.waitSignal(window.task_failed, timeout=20_000) as failed:
        qtbot.mouseClick(page.proposal_button, Qt.MouseButton.LeftButton)
    assert failed.args[0].startswith("Creating the proposal failed: ")
    assert "No such file or directory" in failed.args[0]


def test_the_dialog_asks_for_a_pdf_or_xlsx_name(qtbot):
    dialog = ProposalDialog(3, "/tmp/x - proposal.pdf", "letter", lambda _s: "/tmp/chosen.xlsx")
    qtbot.addWidget(dialog)
    dialog.path_edit.setText("/tmp/proposal.docx")
    dialog.create()
    assert dialog.request is None and "a .pdf or an .xlsx" in dialog.error_label.text()
    next(b for b in dialog.findChildren(type(dialog.create_button)) if b.text() == "Browse…").click()
    dialog.create()
    assert dialog.request is not None and dialog.request.path.name == "chosen.xlsx"
    assert dialog.request.page == "letter" and not dialog.request.all_offers
