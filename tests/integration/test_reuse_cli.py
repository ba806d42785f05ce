"""Re-submitting a file whose sites were quoted last time costs no API call for them."""

from __future__ import annotations

import json
import os

from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_cli


def bq(env, *args):
    return run_cli(env, *args)


def test_the_second_submit_of_a_file_is_filled_from_valid_quotes(tmp_path):
    sim = SimulatorServer(port=0, time_scale=0.004).start()
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "BULKQUOTE_API_KEY": "k", "BULKQUOTE_API_URL": sim.base_url}
    rows = [f"Acme,{100 + i} Congress Ave,Austin,TX,78701" for i in range(6)]
    first = tmp_path / "sites.csv"
    first.write_text("\n".join(["Company,Street,City,State,ZIP", *rows]) + "\n")
    bigger = tmp_path / "sites_more.csv"
    bigger.write_text("\n".join(["Company,Street,City,State,ZIP", *rows,
                                 "Acme,900 Congress Ave,Austin,TX,78701"]) + "\n")
    try:
        assert bq(env, "submit", first, "--wait").returncode == 0
        priced = json.loads(bq(env, "status", "1", "--json").stdout)["counts"]["complete"]
        assert priced >= 4   # the simulator prices most sites (a few fail, by address)
        posts_before = sim.stats()["created"]
        out = bq(env, "submit", bigger, "--wait", "--json")
        assert out.returncode == 0, out.stderr
        stored = json.loads(out.stdout.splitlines()[0])
        assert stored["reused"] == priced
        assert f"{priced} rows filled from still-valid earlier quotes" in out.stderr
        # Only the new site and those the API could not price last time were asked again.
        assert sim.stats()["created"] - posts_before == 7 - priced
        again = bq(env, "submit", first, "--wait", "--no-reuse")
        assert again.returncode == 0 and sim.stats()["created"] - posts_before == 7 - priced + 6
    finally:
        sim.stop()


def test_a_mapping_the_rep_corrected_is_used_again_for_files_laid_out_the_same(tmp_path):
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "BULKQUOTE_CONFIG_DIR": str(tmp_path / "config")}
    env.pop("BULKQUOTE_API_URL", None)
    # Two street columns: the importer takes the first (a mailing PO box), the rep wants SITE.
    header = "Company,MAIL,SITE,City,State,ZIP"
    first = tmp_path / "march.csv"
    first.write_text(f"{header}\nAcme,PO Box 7,100 Congress Ave,Austin,TX,78701\n")
    second = tmp_path / "april.csv"
    second.write_text(f"{header}\nAcme,PO Box 9,200 Congress Ave,Austin,TX,78701\n")
    out = bq(env, "submit", first, "--map", "street=SITE", "--json")
    assert out.returncode == 0, out.stderr
    out = bq(env, "submit", second, "--json")
    assert out.returncode == 0, out.stderr
    assert "using the column mapping remembered for these headers" in out.stderr
    batch = json.loads(out.stdout.splitlines()[0])["batch"]
    rows = json.loads(bq(env, "status", str(batch), "--json").stdout)["rows"]
    assert len(rows) == 1
    listing = bq(env, "status", str(batch)).stdout
    assert "200 Congress Ave" in listing and "PO Box" not in listing
