"""A stand-in OTLP/HTTP collector for benchmarks: answers every export with
200 and counts what it received (requests and bytes, printed at exit).
Usage: python3 tests/bench/otlp-sink.py PORT"""
import http.server
import signal
import sys

received = {"requests": 0, "bytes": 0}


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        received["requests"] += 1
        received["bytes"] += length
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    print(f"otlp-sink: {received['requests']} exports, {received['bytes']} bytes", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
try:
    server.serve_forever()
except KeyboardInterrupt:
    stop()
