#!/usr/bin/env python3
"""A stand-in upstream for the schemathesis run (tests/interop/schemathesis.sh).

Given a connector's openapi.json, it answers every request whose path one of the document's
operations describes with the smallest JSON value its 200 schema (the sanitized answer's shape,
which the connector's response schema filters to) accepts: `{}` with the required properties,
`[]`, `""`, `0`, ... So the proxy in front of it has something to sanitize, and what reaches the
caller conforms to the document. Callbacks (POST) are answered 204. Anything else is 404.

Listens on 127.0.0.1 only. Standard library only: no install needed.
"""

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def minimal(schema, doc, depth=0):
    """The smallest value `schema` accepts, following `$ref`s into `doc`."""
    if not isinstance(schema, dict) or depth > 20:
        return {}
    if "$ref" in schema:
        target = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        return minimal(target, doc, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    for key in ("allOf", "anyOf", "oneOf"):
        if schema.get(key):
            return minimal(schema[key][0], doc, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = "null" if "null" in kind else kind[0]
    if kind == "array":
        count = schema.get("minItems", 0)
        return [minimal(schema.get("items", {}), doc, depth + 1) for _ in range(count)]
    if kind == "string":
        return "x" * schema.get("minLength", 0)
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    properties = schema.get("properties", {})
    return {
        name: minimal(properties.get(name, {}), doc, depth + 1)
        for name in schema.get("required", [])
    }


def routes(doc):
    """(regex, body) for each path the document describes, in document order."""
    out = []
    for path, item in doc["paths"].items():
        if path.startswith("/_sluice/"):
            continue
        operation = item.get("get") or next(
            (v for k, v in item.items() if isinstance(v, dict) and "responses" in v), None
        )
        if operation is None:
            continue
        schema = (
            operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        body = json.dumps(minimal(schema, doc)).encode()
        if "x-sluice-path-regex" in item:
            # Java/Rust named groups `(?<n>` are `(?P<n>` in Python.
            source = re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", item["x-sluice-path-regex"])
            pattern = re.compile("(?i)^(?:" + source + ")$")
            out.append((lambda target, p=pattern: p.match(target) is not None, body))
        else:
            parts = re.split(r"(\{[^}]+\})", path)
            regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            pattern = re.compile("(?i)^" + regex + "$")
            out.append((lambda target, p=pattern: p.match(target.split("?", 1)[0]) is not None, body))
    return out


def main():
    doc_path, port = sys.argv[1], int(sys.argv[2])
    with open(doc_path, encoding="utf-8") as f:
        table = routes(json.load(f))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, status, body=b""):
            self.send_response(status)
            if body:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def route(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            for matches, body in table:
                if matches(self.path):
                    return self.answer(200, body)
            if self.command == "POST" and self.path.startswith("/callback"):
                return self.answer(204)
            return self.answer(404, b'{"message":"Not Found"}')

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
