"""`bulkquote simulator --sonata` as a subprocess: prints its base URL, serves a token and a
quote to the client the factory builds, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.sonata.settings import SonataSettings

ROW = {"reference": "cli/batch-1/row-2", "customer": {"company": "Acme"},
       "location": {"street": "1 Market St", "city": "San Francisco", "state": "CA",
                    "postal_code": "94105"},
       "service": {"product": "DIA", "bandwidth_mbps": 100, "term_months": 36}}


def test_the_sonata_simulator_runs_from_the_command_line():
    proc = subprocess.Popen([sys.executable, "-m", "bulkquote_gui", "simulator", "--sonata",
                             "--port", "0", "--time-scale", "0.01"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        base = proc.stdout.readline().strip()
        assert base.endswith("/mefApi/sonata/quoteManagement/v8"), base
        token_url = base.split("/mefApi/")[0] + "/oauth2/token"
        settings = SonataSettings(token_url=token_url, client_id="cli", offerings={"DIA": "BIA-1"})
        with build_client(base, "cli-client-secret", kind=SONATA, sonata=settings) as client:
            client.check_auth()
            reply = client.submit(ROW, "cli-key-1")
            assert client.find(ROW, "cli-key-1").quote.id == reply.quote.id
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Sonata simulator stopped." in err and "Traceback" not in err
    assert "cli-client-secret" not in out + err
