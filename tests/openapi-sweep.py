#!/usr/bin/env python3
"""openapi-sweep.py DOC: the requests tests/bats/59-openapi-statuses.bats sends to produce, for every operation of
the OpenAPI document DOC, the statuses any route of its kind documents (so that a route added to the table is
swept without a new test). Prints one case a line, tab-separated: the status wanted and how (KIND), METHOD, the
path template, the URL below the mount point, the JSON body ("-" for none), the capability (or "-").

KIND is one of
  401          the operation needs credentials; sent without any
  403-cap      the operation needs a capability (x-capability); sent by a user without it
  403-ro       a write that documents 403 and needs only a signed-in user; sent with a read-only API key
  413          the operation takes a body; sent one past the body limit (the caller substitutes it)
  422-path     a {user_id} or {key_id} that is not a UUID
  422-query    a query parameter of the wrong type or outside its literals
  422-body     a JSON body that is not an object
  404          the valid request below, where it names a user or key by an id nobody has
  429          the operation has a per-client limit (x-rate-limit); the valid request, sent until refused
  valid        a request that passes validation: path parameters name nobody, the body is a minimal instance of
               the request schema (the 429 and 503 sweeps send it)
Only statuses the operation documents are emitted.
"""
import json
import sys

NOBODY = "0190c0de-0000-7000-8000-000000000000"


def resolve(node, schemas):
    while isinstance(node, dict) and "$ref" in node:
        node = schemas[node["$ref"].rsplit("/", 1)[1]]
    return node


def sample(schema, schemas, name="x"):
    """A minimal instance of a request schema: its required properties only."""
    s = resolve(schema, schemas)
    types = s.get("type", "string")
    t = types if isinstance(types, str) else next(x for x in types if x != "null")
    if "enum" in s:
        return s["enum"][0]
    if "const" in s:
        return s["const"]
    if t == "object":
        props = s.get("properties", {})
        return {k: sample(props[k], schemas, k) for k in s.get("required", [])}
    if t == "integer":
        return s.get("minimum", 1)
    if t == "boolean":
        return False
    fmt = s.get("format")
    if fmt == "uuid":
        return NOBODY
    if fmt == "date-time":
        return "2099-01-01T00:00:00Z"
    if fmt == "email":
        return "sweep@example.com"
    pattern = s.get("pattern", "")
    if pattern.startswith("^") and pattern.endswith("$") and pattern[1:-1].isalnum():
        return pattern[1:-1]
    # 32 characters where the bounds allow: a secret compared with a configured one (setup_token) has that minimum.
    value = f"sweep-{name}-"
    n = min(max(s.get("minLength", 0), 32), s.get("maxLength", 32))
    return (value + "x" * n)[:n]


def main():
    doc = json.load(open(sys.argv[1]))
    schemas = doc.get("components", {}).get("schemas", {})
    for template, item in sorted(doc["paths"].items()):
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            method = method.upper()
            documented = set(op["responses"])
            params = op.get("parameters", [])
            url = template
            for p in params:
                if p["in"] == "path":
                    s = resolve(p["schema"], schemas)
                    url = url.replace("{" + p["name"] + "}", s["enum"][0] if "enum" in s else NOBODY)
            body = "-"
            rb = op.get("requestBody")
            if rb is not None:
                body = json.dumps(sample(rb["content"]["application/json"]["schema"], schemas),
                                  separators=(",", ":"))
            cap = op.get("x-capability", "-")
            secured = any(s for s in op.get("security", [])) and {} not in op.get("security", [])
            cases = [("valid", url, body)]
            if secured and "401" in documented:
                cases.append(("401", url, body))
            if cap != "-" and "403" in documented:
                cases.append(("403-cap", url, body))
            elif secured and method != "GET" and "403" in documented:
                cases.append(("403-ro", url, body))
            if rb is not None and "413" in documented:
                cases.append(("413", url, body))
            if "422" in documented:
                for p in params:
                    s = resolve(p["schema"], schemas)
                    if p["in"] == "path" and s.get("format") == "uuid":
                        cases.append(("422-path", template.replace("{" + p["name"] + "}", "not-a-uuid"), body))
                        break
                for p in params:
                    s = resolve(p["schema"], schemas)
                    types = s.get("type")
                    bad = "not-a-number" if types == "integer" or (isinstance(types, list) and "integer" in types) \
                        else "not-one-of-them" if "enum" in s else None
                    if p["in"] == "query" and bad is not None:
                        cases.append(("422-query", f"{url}?{p['name']}={bad}", body))
                        break
                if rb is not None:
                    cases.append(("422-body", url, "[]"))
            if "404" in documented and (NOBODY in url or NOBODY in body):
                cases.append(("404", url, body))
            if "x-rate-limit" in op and "429" in documented:
                cases.append(("429", url, body))
            for kind, u, b in cases:
                print("\t".join((kind, method, template, u, b, cap)))


if __name__ == "__main__":
    main()
