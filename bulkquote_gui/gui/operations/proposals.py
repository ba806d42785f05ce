"""A finished batch's proposal written to .pdf or .xlsx off the GUI thread (a 500-site PDF
takes a second or two): core/deal/proposal_data.py, then core/output's writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from bulkquote_gui.gui.operations import Operation


def create(parent: QObject, sessions: Any, batch_id: int, path: Path, *, customer: str,
           page: str, all_offers: bool, company_name: str, logo: str) -> Operation[int]:
    """Build and write the proposal; hands back how many sites it prices. Its errors (an
    unfinished batch, a wrong logo, a path that cannot be written) are sentences for the rep."""
    def work(sf: Any) -> int:
        # reportlab and openpyxl are loaded on the thread that writes, on first use
        from bulkquote_gui.core.deal.proposal_data import build_proposal
        from bulkquote_gui.core.output.proposal_pdf import write_proposal_pdf
        from bulkquote_gui.core.output.proposal_xlsx import write_proposal_xlsx

        from bulkquote_gui.gui.widgets.site_map_paint import render_proposal_map

        proposal = build_proposal(sf, batch_id, customer=customer, company_name=company_name,
                                  logo=logo or None, all_offers=all_offers,
                                  draw_map=render_proposal_map)
        if path.suffix.lower() == ".pdf":
            write_proposal_pdf(proposal, path, page=page)
        else:
            write_proposal_xlsx(proposal, path)
        return len(proposal.sites)

    # ProposalError and LogoError are ValueErrors: the rep's news, not bugs
    return Operation(parent, work, sessions, expected=(OSError, ValueError))
