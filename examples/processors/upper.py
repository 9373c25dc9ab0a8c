#!/usr/bin/env python3
"""Asynchronio stdio processor: upper-cases text messages.

Reads one JSON request per line on stdin and writes exactly one JSON answer
per line on stdout (see docs/processors.md). Logs go to stderr.
"""
import json
import sys

for line in sys.stdin:
    request = json.loads(line)
    data = request["data"]
    if isinstance(data, str):
        data = data.upper()
    elif isinstance(data, dict) and isinstance(data.get("text"), str):
        data = dict(data, text=data["text"].upper())
    else:
        print(json.dumps({"id": request["id"], "error": "expected a string or {\"text\": ...}"}), flush=True)
        continue
    print(json.dumps({"id": request["id"], "out": [{"data": data}]}), flush=True)
