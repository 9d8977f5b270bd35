#!/usr/bin/env python3
"""openapi-check.py [--coverage] [--allow FILE] [--tap] DOC RECORD...: the responses of the bats suite against the
OpenAPI document DOC (gatehouse --openapi).

RECORD is a file or a folder of *.rec files written by record_response (tests/bats/helpers.bash): records of a
tab-separated header line (method, path with any query, status, Content-Type, the body's
length in bytes, the bats file, the test), then the body and a newline.

Responses to paths outside the API's mount point (the document's server URL, /api) are left aside: the
forward-auth tests also talk to the protected site. For each response below it: the path must match a path of DOC (a literal segment wins over a {parameter}) or answer 404;
the method must be one of that path's operations or answer 405; the status must be one the operation documents
(the answers given before routing, PAGES below, the web server's own error pages and gatehouse's refusal of a
path, are checked for the error shape only); a 204 has no body; the Content-Type must be a documented media type; a JSON body must validate
against the schema documented for that status (JSON Schema 2020-12, the dialect of OpenAPI 3.1, with the formats
uuid, date-time and email checked). Each mismatch is printed with the route, the status, the test and the body.

--coverage also lists every (method, path, documented status) that no response produced and that the allow-list
FILE does not name. FILE has one entry a line, "METHOD PATH STATUS # reason" (the reason is required); an entry
for a status some test did produce, or for one the document does not list, is stale and fails too.

Exits 1 on any problem (or when nothing was recorded), 0 otherwise. --tap prints the three checks as TAP.
"""
import argparse
import json
import os
import re
import sys
import uuid

import jsonschema

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Answers given before any route is chosen, the same on every path, so not operations of the document: the web
# server's own error pages (conf/*.in, contrib/gatehouse-run: in the contract's error shape, which is checked) and
# gatehouse's refusal of a path it cannot route. Each is an exact (status, detail). SERVER_ONLY: the detail is never
# one of the API's, so the answer is the page even on a route that documents the status; the others count for the
# route where it documents them.
PAGES = {
    ("400", "Invalid request path"): "gatehouse, before routing: a path that is not UTF-8 or holds a NUL",
    ("400", "Invalid Content-Length"): "gatehouse, before routing: a CONTENT_LENGTH that is not a number",
    ("400", "The request body is shorter than its Content-Length"): "gatehouse, before routing",
    ("400", "Bad Request"): "nginx: a request it refuses to parse (a decoded NUL, dot segments)",
    ("408", "The request took too long to arrive"): "nginx: client_body_timeout",
    ("411", "A request body needs a Content-Length"): "the web server: a body without a length",
    ("413", "Request body too large"): "nginx past client_max_body_size (gatehouse says the same past body_limit)",
    ("414", "Request URI too long"): "nginx: large_client_header_buffers",
    ("431", "Request header too large"): "nginx: large_client_header_buffers",
    ("500", "The web server could not run gatehouse"): "lighttpd or Apache: the CGI program cannot run",
    ("502", "gatehouse is not answering"): "the web server: nothing listens on the FastCGI socket",
    ("503", "gatehouse is not running or is overloaded; try again shortly"): "lighttpd: the FastCGI backend is down",
    ("504", "gatehouse did not answer in time"): "the web server: fastcgi_read_timeout",
}
SERVER_ONLY = {k for k in PAGES if k[0] not in ("400", "413")}


def inline(node, components):
    """The schema with every #/components/schemas/X reference replaced by X itself (they do not nest cyclically)."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return inline(components[node["$ref"].rsplit("/", 1)[1]], components)
        return {k: inline(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, components) for v in node]
    return node


def format_checker():
    """uuid, date-time (RFC 3339 section 5.6) and email, checked the same with every jsonschema version (Debian 12
    has 4.10, whose date-time check needs a module Debian does not install by default)."""
    fc = jsonschema.FormatChecker(formats=())
    rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")

    @fc.checks("uuid", raises=ValueError)
    def is_uuid(v):
        return not isinstance(v, str) or (len(v) == 36 and str(uuid.UUID(v)) == v.lower())

    @fc.checks("date-time")
    def is_datetime(v):
        return not isinstance(v, str) or bool(rfc3339.match(v))

    @fc.checks("email")
    def is_email(v):
        return not isinstance(v, str) or ("@" in v and not v.startswith("@") and not v.endswith("@"))

    return fc


def records(paths):
    """(method, path, status, content type, body bytes, bats file, test) of every record under paths."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".rec"))
        else:
            files.append(p)
    for f in files:
        data = open(f, "rb").read()
        pos = 0
        while pos < len(data):
            nl = data.index(b"\n", pos)
            fields = data[pos:nl].decode("utf-8", "replace").split("\t")
            if len(fields) < 7:
                raise ValueError(f"{f}: a malformed record header at byte {pos}: {fields!r}")
            n = int(fields[4])
            body = data[nl + 1:nl + 1 + n]
            if data[nl + 1 + n:nl + 2 + n] != b"\n":
                raise ValueError(f"{f}: record at byte {pos}: the body is not {n} bytes long")
            pos = nl + 2 + n
            yield fields[0].upper(), fields[1], fields[2], fields[3], body, fields[5], "\t".join(fields[6:])


class Document:
    def __init__(self, doc):
        self.components = doc.get("components", {}).get("schemas", {})
        self.paths = []
        for template, item in doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[A-Za-z_]+\\\}", "[^/]+", re.escape(template.rstrip("/"))) + "/?$"
            # Literal paths first: /admin/users/names is not /admin/users/{user_id}.
            self.paths.append((template.count("{"), re.compile(rx), template, item))
        self.paths.sort(key=lambda p: p[0])
        self.validators = {}
        self.fc = format_checker()

    def route(self, path, method):
        """The path template and its operations that serve METHOD on path, as the route table does: the first
        matching path, literal segments first, that has the method; else the first matching path (a 405)."""
        found = [(template, item) for _, rx, template, item in self.paths if rx.match(path)]
        for template, item in found:
            if method.lower() in item:
                return template, item
        return found[0] if found else (None, None)

    def validate(self, schema_node, body):
        key = json.dumps(schema_node, sort_keys=True)
        if key not in self.validators:
            self.validators[key] = jsonschema.Draft202012Validator(inline(schema_node, self.components),
                                                                   format_checker=self.fc)
        return sorted(self.validators[key].iter_errors(body), key=lambda e: list(e.path))

    def documented(self):
        for template, item in ((t, i) for _, _, t, i in self.paths):
            for method, op in item.items():
                if method in METHODS:
                    for status in op.get("responses", {}):
                        yield method.upper(), template, status


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--coverage", action="store_true")
    ap.add_argument("--allow")
    ap.add_argument("--tap", action="store_true")
    ap.add_argument("doc")
    ap.add_argument("record", nargs="+")
    args = ap.parse_args()
    doc_json = json.load(open(args.doc))
    doc = Document(doc_json)
    problem_schema = {"$ref": "#/components/schemas/Problem"}
    mount = doc_json["servers"][0]["url"].rstrip("/") if doc_json.get("servers") else ""

    mismatches = []
    seen = set()
    checked = pages = outside = 0
    for method, url, status, ctype, raw, batsfile, test in records(args.record):
        path = url.split("?", 1)[0].split("#", 1)[0]
        if not (path == mount or path.startswith(mount + "/")):
            outside += 1
            continue
        path = path[len(mount):] or "/"
        checked += 1
        template, item = doc.route(path, method)
        where = f"{method} {url} -> {status} ({batsfile}: {test})"
        text = raw.decode("utf-8", "replace")

        def mismatch(why):
            mismatches.append(f"{where}: {why}\n    body: {text[:400]}")

        media = ctype.split(";", 1)[0].strip().lower()
        try:
            detail = json.loads(text).get("detail")
        except (ValueError, AttributeError):
            detail = None
        page = (status, detail) if isinstance(detail, str) and (status, detail) in PAGES else None
        op = item.get(method.lower()) if template is not None else None
        if page in SERVER_ONLY or (page is not None and (op is None or status not in op.get("responses", {}))):
            pages += 1
            schema = problem_schema
        elif template is None:
            if status != "404":
                mismatch("no path of the document matches, and the answer is not 404")
                continue
            schema = problem_schema
        elif op is None:
            if status not in ("404", "405"):
                mismatch(f"{template} has no {method} operation, and the answer is not 405")
                continue
            schema = problem_schema
        else:
            responses = op.get("responses", {})
            route = f"{method} {template}"
            if status not in responses:
                mismatch(f"status {status} is not documented for {route} ({', '.join(responses)})")
                continue
            seen.add((method, template, status))
            content = responses[status].get("content", {})
            if not content:
                if raw.strip():
                    mismatch(f"{route} documents no body for {status}, but one came")
                continue
            if media not in content:
                mismatch(f"{route}: Content-Type {ctype or '(none)'} is not documented for {status} "
                         f"({', '.join(content)})")
                continue
            if media != "application/json" and not media.endswith("+json"):
                continue
            schema = content[media].get("schema", {})
        if schema is problem_schema and media != "application/json":
            mismatch(f"an error page that is not JSON ({ctype or 'no Content-Type'})")
            continue
        try:
            body = json.loads(text)
        except ValueError as e:
            mismatch(f"the body is not JSON: {e}")
            continue
        errors = doc.validate(schema, body)
        if errors:
            where_ = ", ".join(f"at /{'/'.join(map(str, e.path))}: {e.message[:160]}" for e in errors[:3])
            mismatch(f"the body does not validate against the documented schema: {where_}")

    uncovered, stale, allowed = [], [], set()
    documented = set(doc.documented())
    if args.coverage and args.allow:
        for n, line in enumerate(open(args.allow), 1):
            entry, _, reason = line.partition("#")
            if not entry.strip():
                continue
            parts = entry.split()
            if len(parts) != 3 or not reason.strip():
                stale.append(f"{args.allow}:{n}: want \"METHOD PATH STATUS # reason\": {line.strip()}")
                continue
            key = (parts[0].upper(), parts[1], parts[2])
            if key not in documented:
                stale.append(f"{args.allow}:{n}: {' '.join(key)} is not a documented status (stale entry)")
            elif key in seen:
                stale.append(f"{args.allow}:{n}: {' '.join(key)} is produced by a test now (stale entry)")
            allowed.add(key)
    if args.coverage:
        uncovered = sorted(k for k in documented - seen - allowed)

    order = lambda k: (k[1], k[0], k[2])
    covered = len(documented & seen)
    lines = [
        (not mismatches and checked > 0,
         f"{checked} responses validate against the OpenAPI document ({len(mismatches)} mismatches; "
         f"{pages} of them answers before routing: the web server's own pages, gatehouse's bad path; "
         f"{outside} responses outside {mount or '/'} left aside)", mismatches),
    ]
    if args.coverage:
        lines.append((not uncovered,
                      f"every documented status is produced by some test: {covered} of {len(documented)} "
                      f"(method, path, status) produced, {len(allowed & documented)} allow-listed, "
                      f"{len(uncovered)} neither",
                      [f"no test produces {m} {t} {s}" for m, t, s in sorted(uncovered, key=order)]))
        lines.append((not stale, f"the allow-list is current ({len(allowed)} entries)", stale))
    failed = 0
    if args.tap:
        print(f"1..{len(lines)}")
    for i, (ok, title, details) in enumerate(lines, 1):
        failed += not ok
        if args.tap:
            print(f"{'ok' if ok else 'not ok'} {i} - {title}")
            for d in details:
                print("# " + d.replace("\n", "\n# "))
        else:
            for d in details:
                print(d)
            print(f"# {title}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
