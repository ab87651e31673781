#!/usr/bin/env python3
"""Records what the router sends to the bench subgraphs and what they answer.

    python3 router/bench/record.py LISTEN_PORT TARGET_URL OUT_FILE SUBGRAPH

A one-file HTTP proxy for `record.sh`: every POST is forwarded to TARGET_URL
and the exchange is appended to OUT_FILE as one JSON line
(`{"subgraph", "request", "response"}`). Standard library only.
"""
import json
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, TARGET, OUT, SUBGRAPH = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        request = urllib.request.Request(
            TARGET, data=body, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request) as upstream:
            answer = upstream.read()
        with open(OUT, "a", encoding="utf-8") as out:
            out.write(
                json.dumps(
                    {
                        "subgraph": SUBGRAPH,
                        "request": body.decode("utf-8"),
                        "response": answer.decode("utf-8"),
                    }
                )
                + "\n"
            )
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()
