"""A local fake of WeChat's and WeCom's HTTP APIs (http.server in a thread): tokens, customer-service and app
messages, media. Tests script its answers and read what it was sent."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

JPEG = b"\xff\xd8\xff\xe0" + b"fake-jpeg-bytes" * 10
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


class FakeWeChat:
    def __init__(self):
        self.calls = []  # (path, query dict, body bytes)
        self.answers = {}  # path -> list of (status, json or bytes, content type); last one repeats
        self.delays = {}  # path -> seconds to wait before answering (a slow WeChat)
        self.arrived = threading.Event()  # set when a request is being held by a delay
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def answer(self, path, *answers):
        self.answers[path] = list(answers)

    def calls_to(self, path):
        return [c for c in self.calls if c[0] == path]

    def _next(self, path):
        with self.lock:
            queue = self.answers.get(path)
            if queue:
                return queue.pop(0) if len(queue) > 1 else queue[0]
        if path in ("/cgi-bin/token", "/cgi-bin/gettoken"):
            return 200, {"access_token": "FAKE-TOKEN", "expires_in": 7200}, None
        if path == "/cgi-bin/media/get":
            return 200, JPEG, "image/jpeg"
        if path.startswith("/video/"):  # where a video's download URL points
            return 200, MP4, "video/mp4"
        return 200, {"errcode": 0, "errmsg": "ok"}, None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.calls.append((url.path, {k: v[0] for k, v in parse_qs(url.query).items()}, body))
                if fake.delays.get(url.path):
                    fake.arrived.set()
                    time.sleep(fake.delays[url.path])
                status, payload, content_type = fake._next(url.path)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        return Handler

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeVideoHost:
    """Where a video's download URL points, serving what FakeWeChat cannot: a chunked body with no Content-Length,
    a Content-Length that may claim more than is sent, and a body left unfinished with the connection held open
    (until `stop`, or `hold` seconds): a client that waits for the whole body of such a file hangs on it."""

    def __init__(self, hold=5.0):
        self.files = {}  # path -> (body bytes, Content-Length to declare or None for chunked, finish the body?)
        self.requests = []  # paths asked for
        self.hold = hold
        self.released = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append(self.path)
                body, length, finish = fake.files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Connection", "close")
                if length is None:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    for start in range(0, len(body), 64 * 1024):
                        chunk = body[start:start + 64 * 1024]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if length is None else chunk)
                    if finish:
                        if length is None:
                            self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.wfile.flush()
                        fake.released.wait(fake.hold)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up reading: what a capped download does

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def serve(self, path, body, *, length=None, finish=True):
        self.files[path] = (body, length, finish)
        return self.url(path)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
