"""A local SMTP server for the notification tests: the outside world's mail server, which a test can make refuse
the first N messages with a temporary error (451), or every one, or refuse the recipient for good (550) or for
now (450)."""

import socketserver
import threading
from contextlib import contextmanager


class _Handler(socketserver.StreamRequestHandler):
    def _send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server = self.server.fake
        self._send("220 fake-smtp ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self._send("250 fake-smtp")
            elif command.startswith("MAIL FROM"):
                if server.hold is not None:  # a stalled server: the client waits for our answer
                    server.holding.set()
                    server.hold.wait(30)
                with server.lock:
                    server.attempts += 1
                    refuse = server.refuse_all or server.attempts <= server.refuse_first
                self._send("451 4.3.0 try again later" if refuse else "250 OK")
            elif command.startswith("RCPT TO"):
                self._send(server.rcpt_answer)
            elif command == "DATA":
                self._send("354 end with <CRLF>.<CRLF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                with server.lock:
                    server.messages.append(b"".join(data).decode("utf-8", "replace"))
                self._send("250 queued")
            elif command == "QUIT":
                self._send("221 bye")
                return
            else:  # RSET, NOOP
                self._send("250 OK")


class FakeSMTP:
    def __init__(self, *, refuse_first=0, refuse_all=False, stall=False, rcpt_answer="250 OK"):
        self.refuse_first, self.refuse_all = refuse_first, refuse_all
        self.rcpt_answer = rcpt_answer
        # stall: each MAIL FROM waits until `hold` is set; `holding` tells the test one is waiting.
        self.hold = threading.Event() if stall else None
        self.holding = threading.Event()
        self.attempts = 0
        self.messages = []
        self.lock = threading.Lock()


@contextmanager
def fake_smtp_server(**kwargs):
    """Serve on 127.0.0.1 (a free port) until the block ends; yields (FakeSMTP, port)."""
    fake = FakeSMTP(**kwargs)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
