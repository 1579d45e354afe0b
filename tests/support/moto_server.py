#!/usr/bin/env python3
"""moto's server (the local AWS emulator the AWS-adapter tests run against), answering one
request at a time.

`moto_server` runs every request on its own thread, and moto's backends are not thread-safe:
two overlapping conditional writes or TransactWriteItems calls can both pass their condition
checks; a transaction that fails restores a copy of its tables taken when it started, erasing
writes that committed meanwhile; `/moto-api/data.json` fails when a table changes while it is
being serialized. In AWS each API call is atomic and transactions are serializable. Running
moto's calls one after another gives tests that isolation: the clients still send concurrently
(so the code's handling of lost races, such as `TransactionCanceled` or `ConditionalCheckFailed`,
runs for real), and which of two racing calls wins stays up to the order they arrive in, as in
AWS. moto holds the interpreter lock while it works anyway, so little throughput is lost; an SQS
long poll holds the server for its wait (tests poll for at most a second).

Usage: python3 tests/support/moto_server.py [-H HOST] [-p PORT] [--port-file FILE]
(`pip install 'moto[server]'`). With `-p 0` it listens on a port the system picks and writes
it to FILE once it listens, so no other process can take the port between choosing and binding
it. The tests' support code starts it (tests/support/moto.rs), and CI starts one for the whole
run (.ci/run). `GET /leadflow/one-request-at-a-time` answers 200, so the tests can tell this
server from a plain `moto_server`. `GET /leadflow/numbers?count=N` reserves N numbers and answers
the first: test processes sharing the server draw their test phone numbers from it, so no two
tests count each other's texts in moto's one record of sent SMS.
"""

import argparse
import os
import signal
import sys
import threading
from urllib.parse import parse_qs

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

MARKER_PATH = "/leadflow/one-request-at-a-time"
NUMBERS_PATH = "/leadflow/numbers"


def one_at_a_time(app):
    """Wraps a WSGI app so that one request runs (and builds its whole body) at a time."""
    lock = threading.Lock()
    next_number = [0]
    numbers_lock = threading.Lock()

    def plain(start_response, status, text):
        body = f"{text}\n".encode()
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    def serial_app(environ, start_response):
        path = environ.get("PATH_INFO")
        if path == MARKER_PATH:
            return plain(start_response, "200 OK", "one request at a time")
        if path == NUMBERS_PATH:
            count = parse_qs(environ.get("QUERY_STRING", "")).get("count", ["1"])[0]
            if not count.isdigit() or not 1 <= int(count) <= 1_000_000:
                return plain(start_response, "400 Bad Request", "count must be 1 to 1000000")
            with numbers_lock:
                first = next_number[0]
                next_number[0] += int(count)
            return plain(start_response, "200 OK", first)
        with lock:
            result = app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]

    return serial_app


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("-p", "--port", type=int, default=5000, help="port to listen on (0: any free port)")
    parser.add_argument("--port-file", help="write the port here once listening")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    # Threads still accept connections and keep them alive; only the work is serialized.
    server = make_server(args.host, args.port, one_at_a_time(app), threaded=True)
    port = server.server_address[1]
    # As moto_server does: moto builds some URLs from it.
    os.environ.setdefault("MOTO_PORT", str(port))
    if args.port_file:
        partial = f"{args.port_file}.{os.getpid()}"
        with open(partial, "w") as f:
            f.write(f"{port}\n")
        os.replace(partial, args.port_file)
    print(f" * moto, one request at a time, on http://{args.host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
