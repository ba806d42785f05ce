"""The proposal's pages as pictures (issue 18), for the README:

    .venv/bin/python docs/screenshots/proposal_shots.py

The sample sheet (resources/sample_sites.csv) quoted to the end by the CLI in demo mode (the
built-in simulator) over a scratch database, the rep's company and a made-up logo in a scratch
Settings, then `bulkquote proposal` to PDF (Letter and A4, and Letter with all offers) and
pdftoppm (poppler-utils; only this script needs it) to PNG:
- proposal_cover.png, proposal_sites.png, proposal_notes.png: the Letter proposal's pages;
- proposal_sites_a4.png: its sites page on A4; proposal_appendix.png: the appendix of all offers;
- proposal_dialog.png: the window's "Create proposal…" dialog, filled in (offscreen Qt).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
DPI = "80"


def bq(env: dict[str, str], *args: object) -> None:
    subprocess.run([sys.executable, "-m", "bulkquote_gui", *map(str, args)], env=env, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)


def page_png(pdf: Path, page: int, name: str) -> None:
    stem = OUT / name.removesuffix(".png")
    subprocess.run(["pdftoppm", "-r", DPI, "-png", "-singlefile", "-f", str(page), "-l", str(page),
                    str(pdf), str(stem)], check=True)


def logo(path: Path) -> None:
    import reportlab
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGBA", (520, 140), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((10, 20, 110, 120), fill=(31, 58, 95, 255))
    draw.ellipse((40, 50, 80, 90), fill=(255, 255, 255, 255))
    font = ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"), 54)
    draw.text((130, 35), "Northwind", font=font, fill=(31, 58, 95, 255))
    img.save(path)


def dialog_png() -> None:
    """The dialog as the window shows it, in a child process (Qt offscreen, the app's theme)."""
    code = (
        "import sys; sys.path.insert(0, %r); sys.path.insert(0, %r)\n"
        "from offscreen import offscreen_scratch, styled_app\n"
        "offscreen_scratch('proposal-dialog-', (1440, 900))\n"
        "app, loop = styled_app(dark=False)\n"
        "from bulkquote_gui.gui.dialogs.proposal_dialog import ProposalDialog\n"
        "d = ProposalDialog(12, '/home/ana/Deals/sites - proposal.pdf', 'letter', lambda s: None)\n"
        "d.customer_edit.setText('Globex Corporation')\n"
        "d.show(); app.processEvents()\n"
        "d.grab().save(%r)\n" % (str(ROOT), str(OUT), str(OUT / "proposal_dialog.png")))
    subprocess.run([sys.executable, "-c", code], check=True)


def main() -> None:
    dialog_png()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BULKQUOTE_CONFIG_DIR": str(tmp / "config"),
               "BULKQUOTE_DATA_DIR": str(tmp / "data"), "BULKQUOTE_DB": f"sqlite:///{tmp / 's.sqlite'}"}
        env.pop("BULKQUOTE_API_URL", None)
        logo(tmp / "logo.png")
        sys.path.insert(0, str(ROOT))
        os.environ["BULKQUOTE_CONFIG_DIR"] = env["BULKQUOTE_CONFIG_DIR"]
        from bulkquote_gui.services.settings import Settings, save_settings

        save_settings(Settings(company_name="Northwind Telecom Partners",
                               company_logo=str(tmp / "logo.png")))
        bq(env, "submit", ROOT / "resources" / "sample_sites.csv", "--wait")
        for name, extra in (("letter", ["--page", "letter"]), ("a4", ["--page", "a4"]),
                            ("all", ["--page", "letter", "--all-offers"])):
            bq(env, "proposal", 1, "-o", tmp / f"{name}.pdf", "--customer", "Globex Corporation",
               *extra)
        page_png(tmp / "letter.pdf", 1, "proposal_cover.png")
        page_png(tmp / "letter.pdf", 2, "proposal_sites.png")
        page_png(tmp / "letter.pdf", 3, "proposal_notes.png")
        page_png(tmp / "a4.pdf", 2, "proposal_sites_a4.png")
        page_png(tmp / "all.pdf", 4, "proposal_appendix.png")


if __name__ == "__main__":
    main()
