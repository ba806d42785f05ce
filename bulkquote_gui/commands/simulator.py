"""`bulkquote simulator`: run the built-in Momentum simulator in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from bulkquote_gui.services.simulator import SimulatorServer


def run_simulator(args: argparse.Namespace) -> int:
    sonata = getattr(args, "sonata", False)
    try:
        if sonata:
            from bulkquote_gui.services.sonata_simulator import SonataSimulator
            server: Any = SonataSimulator(args.host, args.port, time_scale=args.time_scale)
        else:
            server = SimulatorServer(args.host, args.port, time_scale=args.time_scale,
                                     api_key=args.api_key or None)
    except OSError as exc:
        print(f"bulkquote simulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"bulkquote simulator: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with server:
            keys = "the configured API key" if args.api_key else "any non-empty API key"
            print(server.base_url, flush=True)  # first line: the base URL, for scripts to read
            if sonata:
                print(f"Sonata simulator: token URL {server.token_url}, time scale "
                      f"{args.time_scale:g}, accepting any client id and secret. "
                      "Press Ctrl+C to stop.", file=sys.stderr, flush=True)
            else:
                print(f"Momentum simulator: time scale {args.time_scale:g}, accepting {keys}. "
                      "Press Ctrl+C to stop.", file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"{'Sonata' if sonata else 'Momentum'} simulator stopped.", file=sys.stderr, flush=True)
    return 0
