#!/usr/bin/env python3
"""openapi-check.py DOC LOG: every response in LOG is one the OpenAPI document DOC describes.

LOG has one response a line, tab-separated: METHOD, URL path (with the mount point and any query), status,
Content-Type, and the file holding the body. For each: the path and method must name an operation of DOC, the
status must be among that operation's responses, and a JSON body must validate against the schema documented for
that status (JSON Schema 2020-12, the dialect of OpenAPI 3.1). Prints one line per problem; exits 1 if any.
"""
import json
import re
import sys

import jsonschema


def inline(node, components):
    """The schema with every #/components/schemas/X reference replaced by X itself (they do not nest cyclically)."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return inline(components[node["$ref"].rsplit("/", 1)[1]], components)
        return {k: inline(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, components) for v in node]
    return node


def main():
    doc = json.load(open(sys.argv[1]))
    components = doc.get("components", {}).get("schemas", {})
    mount = doc["servers"][0]["url"].rstrip("/")
    routes = []
    for template, item in doc["paths"].items():
        rx = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "/?$"
        routes.append((re.compile(rx), template, item))
    problems = 0
    seen = 0
    for line in open(sys.argv[2]):
        method, url, status, ctype, bodyfile = line.rstrip("\n").split("\t")
        seen += 1
        path = url.split("?", 1)[0]
        if path.startswith(mount):
            path = path[len(mount):]
        ops = [(t, item[method.lower()]) for rx, t, item in routes if rx.match(path) and method.lower() in item]
        where = f"{method} {url} -> {status}"
        if not ops:
            if status not in ("404", "405"):
                print(f"{where}: no operation documents this path and method")
                problems += 1
            continue
        template, op = ops[0]
        responses = op["responses"]
        if status not in responses:
            print(f"{where}: status {status} is not documented for {method} {template} ({', '.join(responses)})")
            problems += 1
            continue
        content = responses[status].get("content", {})
        media = ctype.split(";", 1)[0].strip()
        if status == "204" or not content:
            continue
        if media not in content:
            print(f"{where}: Content-Type {media} is not documented ({', '.join(content)})")
            problems += 1
            continue
        if media != "application/json":
            continue
        schema = inline(content[media].get("schema", {}), components)
        try:
            body = json.load(open(bodyfile))
        except ValueError as e:
            print(f"{where}: the body is not JSON: {e}")
            problems += 1
            continue
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.path))
        for e in errors[:3]:
            print(f"{where}: at {'/'.join(map(str, e.path)) or '(root)'}: {e.message[:200]}")
        problems += bool(errors)
    print(f"# {seen} responses checked, {problems} not as documented")
    return 1 if problems or seen == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
