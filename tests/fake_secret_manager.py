"""The smallest stand-in for Google Secret Manager's REST API that the gsm secret store needs.

No emulator exists, so this serves exactly the two calls the store makes through Google's own
client library (``transport="rest"``): list a project's secrets (with a ``labels.connector=<name>``
filter) and access a secret's latest version.

    with FakeSecretManager({"SECRET_X": ({"connector": "source-x", "filename": "config"}, '{"k": 1}')}) as fake:
        GoogleSecretManagerStore("my-project", endpoint=fake.endpoint)
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LIST = re.compile(r"^/v1/projects/(?P<project>[^/]+)/secrets$")
ACCESS = re.compile(r"^/v1/projects/(?P<project>[^/]+)/secrets/(?P<secret>[^/]+)/versions/latest:access$")
LABEL_FILTER = re.compile(r"labels\.(?P<key>[\w-]+)\s*(?P<op>[:=])\s*(?P<value>[\w.-]+)")


class FakeSecretManager:
    def __init__(self, secrets: dict[str, tuple[dict[str, str], str]], project: str = "test-project") -> None:
        self.secrets = secrets
        self.project = project
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                fake.requests.append(self.path)
                parts = urlsplit(self.path)
                listed, accessed = LIST.match(parts.path), ACCESS.match(parts.path)
                if listed and listed["project"] == fake.project:
                    wanted = parse_qs(parts.query).get("filter", [""])[0]
                    body = {"secrets": [
                        {"name": f"projects/{fake.project}/secrets/{name}", "labels": labels}
                        for name, (labels, _) in sorted(fake.secrets.items()) if matches(labels, wanted)]}
                    return self.answer(200, body)
                if accessed and accessed["project"] == fake.project and accessed["secret"] in fake.secrets:
                    value = fake.secrets[accessed["secret"]][1].encode()
                    return self.answer(200, {
                        "name": f"projects/{fake.project}/secrets/{accessed['secret']}/versions/1",
                        "payload": {"data": base64.b64encode(value).decode()}})
                self.answer(404, {"error": {"code": 404, "message": "Secret not found", "status": "NOT_FOUND"}})

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeSecretManager:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def matches(labels: dict[str, str], text: str) -> bool:
    """GSM's filter, for label terms only: ``labels.k=v`` equals, ``labels.k:v`` contains (as GSM's ``has``)."""
    for term in LABEL_FILTER.finditer(text):
        value = labels.get(term["key"], "")
        if (term["op"] == "=" and value != term["value"]) or (term["op"] == ":" and term["value"] not in value):
            return False
    return True
