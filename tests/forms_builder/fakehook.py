"""A local fake of a customer's webhook receiver (http.server in a thread): tests script its answers (HTTP codes)
and read what it was sent (path, headers, raw body)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from forms_builder.models import FormWebhookDelivery
from scrm.platform.tenancy import platform_scope


class FakeReceiver:
    def __init__(self, *codes):
        self.codes = list(codes) or [200]  # answered in turn; the last one repeats
        self.requests = []  # (path with query, headers dict, body bytes)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def answer(self, *codes):
        with self.lock:
            self.codes = list(codes)

    def _next(self):
        with self.lock:
            return self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests.append((self.path, dict(self.headers.items()), body))
                code = fake._next()
                data = b'{"ok": true}' if code < 300 else b"boom"
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def delivery_wait(statuses, timeout=40):
    """The first delivery, once its status is one of `statuses` (a real worker sends it)."""
    deadline = time.monotonic() + timeout
    delivery = None
    while time.monotonic() < deadline:
        with platform_scope():
            delivery = FormWebhookDelivery.objects.first()
        if delivery is not None and delivery.status in statuses:
            return delivery
        time.sleep(0.2)
    raise AssertionError(f"delivery still {delivery and delivery.status} after {timeout}s (is the worker running?)")
