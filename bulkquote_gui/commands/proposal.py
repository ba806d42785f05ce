"""`bulkquote proposal BATCH -o FILE.pdf|FILE.xlsx`: the customer's proposal of a finished batch
(core/deal/proposal_data.py, written by core/output/proposal_pdf.py or proposal_xlsx.py).

The rep's company and logo come from Settings; errors (unknown or unfinished batch, a logo or
an output path that cannot be used) are one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bulkquote_gui.commands.batch import EXIT_OK, _command, _Fail, _runtime
from bulkquote_gui.core.deal.logo import LogoError
from bulkquote_gui.core.deal.proposal_data import ProposalError, build_proposal
from bulkquote_gui.core.output.proposal_pdf import default_page_size, write_proposal_pdf
from bulkquote_gui.core.output.proposal_xlsx import write_proposal_xlsx

FORMATS = (".pdf", ".xlsx")


def _draw_map(sites):  # type: ignore[no-untyped-def]
    """The proposal's map: Qt paints it offscreen (loaded here only: the CLI never needs Qt
    otherwise)."""
    from bulkquote_gui.gui.widgets.site_map_paint import render_proposal_map
    return render_proposal_map(sites)


@_command("proposal")
def run_proposal(args: argparse.Namespace) -> int:
    """Write the proposal of a finished batch to .pdf or .xlsx."""
    out = Path(args.output)
    if out.suffix.lower() not in FORMATS:
        raise _Fail(f"a proposal is a .pdf or an .xlsx file: {args.output!r} ends in neither")
    page = args.page or default_page_size(os.environ)
    with _runtime(args, with_api=False) as runtime:
        settings = runtime.settings
        try:
            proposal = build_proposal(runtime.session_factory, args.batch,
                                      customer=args.customer or "",
                                      company_name=settings.company_name,
                                      logo=settings.company_logo or None,
                                      all_offers=args.all_offers, draw_map=_draw_map)
        except (ProposalError, LogoError) as exc:
            raise _Fail(str(exc)) from None
    try:
        if out.suffix.lower() == ".pdf":
            write_proposal_pdf(proposal, out, page=page)
        else:
            write_proposal_xlsx(proposal, out)
    except OSError as exc:
        raise _Fail(f"cannot write {args.output}: {exc.strerror or exc}") from None
    n = len(proposal.sites)
    print(f"proposal of batch {args.batch} ({n} site{'s' if n != 1 else ''} priced, "
          f"{len(proposal.unpriced)} not) written to {args.output}", file=sys.stderr)
    return EXIT_OK
