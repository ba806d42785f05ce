"""A TCP proxy on 127.0.0.1 that delays every chunk from client to server: a slow network.

    python benchmarks/delay_proxy.py --target 127.0.0.1:5432 [--delay-ms 300] [--port 0]

Prints its port on the first line of stdout, then forwards until stdin closes (or SIGTERM).
Each chunk the client sends is held `delay` after it arrived, then written to the server, in
order: every request/answer round trip (a query, BEGIN, COMMIT, a ping, each step
of the connection handshake) takes at least `delay`. Answers come back undelayed. It runs in a
process of its own, so the proxy never competes for the interpreter lock of the process it slows.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time


async def _pipe_delayed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        delay: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def sender() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, data))
            if not data:
                break
        await task
    finally:
        task.cancel()
        writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def serve(target_host: str, target_port: int, delay: float, port: int) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_w.close()
            return
        try:
            await asyncio.gather(_pipe_delayed(client_r, server_w, delay),
                                 _pipe(server_r, client_w), return_exceptions=True)
        except asyncio.CancelledError:  # shutting down with the connection open
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: done.done() or done.set_result(None))
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.buffer.read1(1 << 16) or
                    (done.done() or done.set_result(None)))
    async with server:
        await done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the server")
    parser.add_argument("--delay-ms", type=float, default=300.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    asyncio.run(serve(host or "127.0.0.1", int(port), args.delay_ms / 1000, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
