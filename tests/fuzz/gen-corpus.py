#!/usr/bin/env python3
"""gen-corpus.py: writes the seed corpus of every harness into tests/fuzz/corpus/<harness>/.

Run from anywhere: python3 tests/fuzz/gen-corpus.py. The files are committed; this script only documents how
they were made and regenerates them (it removes the old seeds of each harness first).
"""
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

ADMIN_ID = "01900000-0000-7000-8000-00000000a001"
VIEWER_ID = "01900000-0000-7000-8000-00000000b002"
PENDING_ID = "01900000-0000-7000-8000-00000000c003"
ADMIN_PW = "Adm1n-correct-horse"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def write(harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def deep(n):
    return "[" * n + "]" * n


# --- fuzz_request: flags, then method, path, query, content type, authorization (NUL-ended), then the body.
def req(name, method, path, query="", ctype="", auth="", body=b"", flags=1):
    if isinstance(body, str):
        body = body.encode()
    enc = lambda s: s.encode() if isinstance(s, str) else s
    data = bytes([flags]) + b"\0".join(enc(x) for x in (method, path, query, ctype, auth)) + b"\0" + body
    write("fuzz_request", name, data)


def request_seeds():
    login = "username=admin&password=" + ADMIN_PW
    req("login-form", "POST", "/auth/login", ctype=FORM, body=login)
    req("login-form-request-uri", "POST", "/api/auth/login/", ctype=FORM, body=login + "&grant_type=password", flags=0)
    req("login-json", "POST", "/auth/login", ctype=JSON, body='{"username":"ADMIN","password":"%s"}' % ADMIN_PW)
    req("login-wrong", "POST", "/auth/login", ctype=FORM, body="username=admin&password=nope&grant_type=x")
    req("login-pending", "POST", "/auth/login", ctype=FORM, body="username=pending&password=pending-password")
    req("login-nul-name", "POST", "/auth/login", ctype=FORM, body="username=ad%00min&password=x")
    req("me-admin", "GET", "/auth/me/", auth="A")
    req("me-viewer", "GET", "/auth/me", auth="V")
    req("me-expired", "GET", "/auth/me", auth="E")
    req("me-garbage-token", "GET", "/auth/me", auth="Bearer gat_" + "x" * 43)
    req("me-basic", "GET", "/auth/me", auth="Basic YWRtaW46YWRtaW4=")
    req("create", "POST", "/admin/users/", ctype=JSON, auth="A",
        body='{"username":"example","password":"example-password","email":"User@Example.com","role":"editor"}')
    req("create-viewer-403", "POST", "/admin/users/", ctype=JSON, auth="V", body='{"username":"x"}')
    req("create-conflict", "POST", "/admin/users", ctype=JSON, auth="A",
        body='{"username":"ADMIN","password":"example-password"}')
    req("create-all-wrong", "POST", "/admin/users", ctype=JSON, auth="A",
        body='{"username":"\\u0000a","password":"short","email":"a@localhost","role":"root"}')
    req("list", "GET", "/admin/users/", query="limit=5&skip=0&sort=username&order=desc&search=AD%25_&status=active",
        auth="A")
    req("list-bad", "GET", "/admin/users", query="limit=0&skip=-1&sort=nope&order=up&search=" + "x" * 201, auth="A")
    req("names", "GET", "/admin/users/names/", query="limit=1000&skip=1_0", auth="A")
    req("export-csv", "GET", "/admin/users/export.csv", auth="A")
    req("get", "GET", "/admin/users/" + ADMIN_ID, auth="A")
    req("get-urn", "GET", "/admin/users/urn:uuid:" + VIEWER_ID.upper(), auth="A")
    req("get-braces", "GET", "/admin/users/{" + VIEWER_ID.replace("-", "") + "}", auth="A")
    req("get-bad-id", "GET", "/admin/users/not-a-uuid", auth="A")
    req("get-missing", "GET", "/admin/users/01900000-0000-7000-8000-000000000000/", auth="A")
    req("patch", "PATCH", "/admin/users/" + VIEWER_ID, ctype=JSON, auth="A",
        body='{"email":"V@Example.COM","is_active":"yes","status":"active","role":"editor"}')
    req("patch-conflicting", "PATCH", "/admin/users/" + VIEWER_ID, ctype=JSON, auth="A",
        body='{"is_active":false,"status":"active"}')
    req("patch-self", "PATCH", "/admin/users/" + ADMIN_ID, ctype=JSON, auth="A", body='{"role":"viewer"}')
    req("patch-pending", "PATCH", "/admin/users/" + PENDING_ID, ctype=JSON, auth="A", body='{"is_active":1}')
    req("delete", "DELETE", "/admin/users/" + VIEWER_ID, auth="A")
    req("delete-self", "DELETE", "/admin/users/" + ADMIN_ID, auth="A")
    req("deactivate", "POST", "/admin/users/%s/deactivate/" % VIEWER_ID, auth="A")
    req("approve", "POST", "/admin/users/%s/approve" % PENDING_ID, ctype=JSON, auth="A", body='{"role":"editor"}')
    req("reject", "POST", "/admin/users/%s/reject/" % PENDING_ID, auth="A")
    req("reset-password", "POST", "/admin/users/%s/reset-password" % VIEWER_ID, ctype=JSON, auth="A",
        body='{"password":"new-password-1"}')
    req("stats", "GET", "/admin/stats/", auth="A")
    req("audit-list", "GET", "/admin/audit-logs/", auth="A",
        query="user_id=%s&date_from=2024-01-01T00:00:00Z&date_to=2030-01-01+12:00:00.5%%2B02:00&sort=username"
              "&order=asc&action=user.login.success&search=Login" % ADMIN_ID)
    req("audit-list-bad", "GET", "/admin/audit-logs", auth="A",
        query="user_id=x&resource_id=%FF&date_from=2024-13-01&date_to=2024-02-30T25:00&skip=1e3")
    req("audit-export-json", "GET", "/admin/audit-logs/export/json", query="max_rows=10", auth="A")
    req("audit-export-csv", "GET", "/admin/audit-logs/export/csv/", auth="A")
    req("audit-export-xml", "GET", "/admin/audit-logs/export/xml", auth="A")
    req("method-405", "PUT", "/auth/login", ctype=JSON, body="{}")
    req("method-empty", "", "/auth/me")
    req("not-found", "GET", "/nothing")
    req("root", "GET", "")
    # Hostile inputs.
    req("too-large", "POST", "/auth/login", ctype=FORM, body="username=" + "a" * 65536)
    req("body-short", "POST", "/auth/login", ctype=FORM, body="", flags=1 | 4)
    req("body-bad-length", "POST", "/auth/login", ctype=FORM, body="", flags=1 | 6)
    req("no-body", "POST", "/admin/users/", ctype=JSON, auth="A")
    req("truncated-json", "POST", "/admin/users/", ctype=JSON, auth="A", body='{"username":"abc","pass')
    req("invalid-utf8", "POST", "/admin/users/", ctype=JSON, auth="A", body=b'{"username":"ab\xffc"}')
    req("overlong-utf8", "POST", "/admin/users/", ctype=JSON, auth="A", body=b'{"username":"\xc0\xaf\xe0\x80\xaf"}')
    req("surrogate-utf8", "POST", "/admin/users/", ctype=JSON, auth="A", body=b'{"username":"\xed\xa0\x80"}')
    req("nul-escaped", "POST", "/admin/users/", ctype=JSON, auth="A",
        body='{"username":"a\\u0000b","password":"pass\\u0000word","email":"a\\u0000@b.com"}')
    req("nul-raw", "POST", "/admin/users/", ctype=JSON, auth="A", body=b'{"username":"a\0b","password":"x"}')
    req("lone-surrogate-escape", "POST", "/admin/users/", ctype=JSON, auth="A",
        body='{"username":"\\ud800x","password":"\\udc00\\ud800aaaaaa","email":"\\ud83d@b.com"}')
    req("nested-10000", "POST", "/admin/users/", ctype=JSON, auth="A", body=deep(10000))
    req("nested-63", "PATCH", "/admin/users/" + VIEWER_ID, ctype=JSON, auth="A", body='{"email":' + deep(62) + "}")
    req("huge-numbers", "PATCH", "/admin/users/" + VIEWER_ID, ctype=JSON, auth="A",
        body='{"is_active":1e999999,"status":-0.0e-99999,"role":' + "9" * 400 + ',"email":18446744073709551616}')
    req("duplicate-keys", "POST", "/admin/users/", ctype=JSON, auth="A",
        body='{"username":"valid-name","username":"x","password":"longenough","password":1}')
    req("array-body", "POST", "/admin/users/", ctype=JSON, auth="A", body='[{"username":"abc","password":"x"}]')
    req("scalar-body", "POST", "/admin/users/%s/approve" % PENDING_ID, ctype=JSON, auth="A", body='"editor"')
    req("null-body", "POST", "/admin/users/%s/approve" % PENDING_ID, ctype="application/problem+json", auth="A",
        body="null")
    req("text-plain", "POST", "/admin/users/", ctype="text/plain", auth="A",
        body='{"username":"abc","password":"secret-password"}')
    req("text-plain-badutf8", "PATCH", "/admin/users/" + VIEWER_ID, ctype="text/plain", auth="A", body=b"\xff\xfe")
    req("bom-extra-data", "POST", "/auth/login", ctype=JSON, body=b'\xef\xbb\xbf{"username":"a","password":"b"} {}')
    req("crlf-headers", "GET", "/auth/me", ctype="application/json\r\nX-Evil: 1",
        auth="Bearer gat_x\r\nSet-Cookie: a=b")
    req("long-path", "GET", "/admin/users/" + "a" * 5000, auth="A")
    req("long-query", "GET", "/admin/users/", query="search=" + "%41" * 3000, auth="A")
    req("pct-2f", "GET", "/api/admin/users/%2F..%2F" + ADMIN_ID, auth="A", flags=0)
    req("pct-00", "GET", "/api/admin/users/%00" + ADMIN_ID, auth="A", flags=0)
    req("pct-double", "GET", "/api/admin/users/%25" + ADMIN_ID, auth="A", flags=0)
    req("pct-ff-path-info", "GET", b"/admin/users/\xff\xfe", auth="A")
    req("pct-ff-request-uri", "GET", "/api/admin/users/%FF%C3", auth="A", flags=0)
    req("pct-control", "GET", "/api/auth/me%0a", auth="A", flags=0)
    req("thousand-params", "GET", "/admin/users/", query="&".join(["limit=1"] * 999 + ["limit=201"]), auth="A")
    req("script-name-only", "GET", "/api", flags=0)
    req("params-empty-keys", "GET", "/admin/users/names", query="&&=&==&limit&skip=", auth="A")


# --- fuzz_json_body and fuzz_login_form: bodies.
def json_seeds():
    bodies = {
        "create": '{"username":"example","password":"example-password","email":"user@example.com","role":"viewer"}',
        "create-minimal": '{"username":"abc","password":"12345678"}',
        "create-nulls": '{"username":null,"password":null,"email":null,"role":null}',
        "create-types": '{"username":1,"password":true,"email":[],"role":{}}',
        "create-long": '{"username":"%s","password":"%s"}' % ("\u00e9" * 151, "p" * 257),
        "login": '{"username":"admin","password":"x","grant_type":"password"}',
        "login-grant": '{"username":"admin","password":"x","grant_type":"client_credentials"}',
        "update": '{"email":"A@B.COM","is_active":"off","status":"disabled","role":"admin"}',
        "update-conflict": '{"is_active":true,"status":"disabled"}',
        "update-bools": '{"is_active":0.0,"status":"Active","role":"x"}',
        "update-bool-float": '{"is_active":1.5}',
        "approve": '{"role":"editor"}',
        "reset": '{"password":"new-password"}',
        "reset-nul": '{"password":"new-pass\\u0000word"}',
        "empty-object": "{}",
        "null": "null",
        "array": "[1,2,3]",
        "string": '"just a string"',
        "number": "-12.5e3",
        "true": "true",
        "truncated": '{"username":"ab',
        "trailing-comma": '{"a":1,}',
        "extra-data": '{"a":1} x',
        "single-quotes": "{'a':1}",
        "bom": "\ufeff{}",
        "nested-10000": deep(10000),
        "nested-object": '{"a":' * 70 + "1" + "}" * 70,
        "nested-echo": '{"username":' + deep(60) + ',"password":{"password":"secret"}}',
        "huge-int": '{"is_active":' + "9" * 5000 + "}",
        "huge-exp": '{"is_active":1e999999,"role":-1e-999999}',
        "nan": '{"is_active":NaN,"role":Infinity}',
        "duplicate": '{"username":"valid-name","username":"x","password":"longenough"}',
        "escapes": '{"username":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00","password":"\\u0001aaaaaaa"}',
        "lone-surrogates": '{"username":"\\ud800","email":"\\udfff@x.com","role":"\\ud800\\ud800"}',
        "email-pretty": '{"email":"Name <a@b.com>"}',
        "email-idna": '{"email":"a@xn--nxasmq6b.com"}',
        "email-long": '{"email":"%s@example.com"}' % ("a" * 2100),
        # Issue 14 section 2: what json-c took and Python's json.loads refuses.
        "py-raw-tab": '{"username":"long\tenough1","password":"longenough"}',
        "py-number-dot": '{"is_active":1.}',
        "py-number-dot-exp": '{"is_active":1.e5}',
        "py-number-leading-zero": '{"is_active":-01}',
        "py-infinity": '[-Infinity]',
        "py-bad-escape": '{"username":"\\x41"}',
        "py-short-u": '{"username":"\\u12"}',
        "py-formfeed": '\f{}',
        "py-nested-500": deep(500),
    }
    for name, b in bodies.items():
        write("fuzz_json_body", name, b)
    raw = {
        "invalid-utf8": b'{"username":"ab\xffc"}',
        "overlong": b'{"username":"\xc0\xaf"}',
        "surrogate-bytes": b'{"username":"\xed\xa0\x80"}',
        "nul-raw": b'{"username":"a\0b"}',
        "control-raw": b'{"username":"a\x01b"}',
    }
    for name, b in raw.items():
        write("fuzz_json_body", name, b)

    forms = {
        "valid": "username=admin&password=" + ADMIN_PW,
        "grant": "grant_type=password&username=admin&password=x",
        "grant-wrong": "grant_type=authorization_code&username=admin&password=x",
        "missing": "",
        "only-user": "username=a",
        "empty-values": "username=&password=",
        "plus-and-pct": "username=a+b%20c&password=%2B%26%3D",
        "last-wins": "username=a&username=b&password=1&password=2",
        "encoded-keys": "user%6Eame=admin&%70assword=x",
        "pct-truncated": "username=%&password=%4",
        "pct-at-end": "username=a%41&password=b%4",
        "nul": "username=a%00b&password=c%00d",
        "raw-nul": b"username=ab\0cd&password=ef\0gh",
        "invalid-utf8": "username=%FF&password=%C0%AF",
        "raw-invalid-utf8": b"username=\xff&password=\xfe",
        "control": "username=a%0Db%0A&password=%7F",
        "no-equals": "username&password",
        "many-pairs": "&".join("k%d=v" % i for i in range(1000)) + "&username=a&password=b",
        "semicolons": "username=a;password=b",
        "json-in-form": '{"username":"a","password":"b"}',
        "long-password": "username=a&password=" + "p" * 3000,
    }
    for name, b in forms.items():
        write("fuzz_login_form", name, b)
    for name in ("login", "null", "truncated", "invalid-utf8", "duplicate"):
        write("fuzz_login_form", "json-" + name, bodies.get(name) or raw[name])


def query_seeds():
    qs = {
        "empty": "",
        "list": "skip=0&limit=50&status=active&search=ad&sort=username&order=desc",
        "lax-ints": "skip=+1_000&limit=%2010.000%20",
        "int-bad": "skip=1__0&limit=1.5",
        "int-huge": "skip=" + "9" * 4301,
        "int-saturate": "skip=99999999999999999999&limit=-9223372036854775809",
        "int-bounds": "limit=0&max_rows=100001",
        "literals": "sort=created_at&order=asc",
        "literals-bad": "sort=Username&order=DESC",
        "audit": "user_id=%s&resource_id={%s}&date_from=2024-01-01&date_to=2024-12-31T23:59:59.999999-01:30"
                 % (ADMIN_ID, ADMIN_ID.replace("-", "")),
        "audit-dates-bad": "date_from=2024-02-30&date_to=2024-01-01T24:00",
        "dates-odd": "date_from=0000-01-01T00:00:00%2B99:99&date_to=9999-12-31t23:59:59.9999999999z",
        "dates-short": "date_from=2024&date_to=2024-01-01T1",
        "uuid-bad": "user_id=urn:uuid:xyz&resource_id=%F0%9F%98%80",
        "strings-long": "action=" + "a" * 201 + "&search=" + "%C3%A9" * 201,
        "invalid-utf8": "search=%FF&status=%C0%AF",
        "control": "search=%00%01&status=%0A",
        "plus": "search=a+b+c",
        "repeated": "&".join(["limit=1"] * 1000),
        "keys-encoded": "%6Cimit=3&l%69mit=4",
        "pct-edge": "limit=%&skip=%3&search=%%41",
        "no-values": "limit&skip&sort",
        "uuid-forms": ADMIN_ID.upper(),
        "uuid-simple": ADMIN_ID.replace("-", ""),
        "uuid-groups": "0190-0000-7000-8000-00000000a001-00",
    }
    for name, q in qs.items():
        write("fuzz_query", name, q)


def uuid_seeds():
    us = {
        "canonical": ADMIN_ID,
        "upper": ADMIN_ID.upper(),
        "simple": ADMIN_ID.replace("-", ""),
        "urn": "urn:uuid:" + ADMIN_ID,
        "braces": "{" + ADMIN_ID + "}",
        "braces-simple": "{" + ADMIN_ID.replace("-", "") + "xxxxx}",
        "empty": "",
        "short": "0190",
        "long": ADMIN_ID + "0",
        "groups-4": "01900000-0000-7000-800000000000a001",
        "groups-6": "01900000-0000-7000-8000-0000-0000a001",
        "group-len": "0190000-00000-7000-8000-00000000a001",
        "bad-char": "0190000g-0000-7000-8000-00000000a001",
        "utf8": "\u00e901900000-0000-7000-8000-00000000a00",
        "utf8-4": "01900000-0000-7000-8000-00000000a0\U0001F600",
        "only-hyphens": "-" * 36,
        "hyphens-edge": "-01900000-0000-7000-8000-00000000a00",
        "urn-wrong": "urn:uuid:" + ADMIN_ID[:-1] + "}",
    }
    for name, u in us.items():
        write("fuzz_uuid", name, u)
    write("fuzz_uuid", "invalid-utf8", b"\xff" + ADMIN_ID[1:].encode())
    write("fuzz_uuid", "truncated-utf8", ADMIN_ID[:-1].encode() + b"\xe2\x82")
    write("fuzz_uuid", "nul", ADMIN_ID[:10].encode() + b"\0" + ADMIN_ID[11:].encode())


def email_seeds():
    es = [
        "a@b.com", "A@B.COM", "Admin@Example.COM", "user+mailbox/department=shipping@example.tld",
        "POSTMASTER@Example.org", " a@b.com ", "Name <a@b.com>", "\"Na me\" <a@b.com>", "< a@b.com >",
        "\u00fc@b\u00fccher.de", "jeff@\u81fa\u7db2\u4e2d\u5fc3.tw", "a@XN--nxasmq6b.com", "a@x\u3002com",
        "a@\uff21.com", "a\U0001F600@b.com", "", "hello.world", "@b.com", "a@", "a b@c.com", "\"quoted\"@b.com",
        "a..b@c.com", "Name <a@b.com", "a@localhost", "a@b\0.com", "a@[1.2.3.4]", "a@[IPv6:::1%eth0]",
        "a@c..com", "a@-c.com", "a@ab--c.com", "a@c.123", "a@x.onion", "a@xn--zzzz.com", "me@xn--0.tld",
        "a@\u200db.com", "a\u0338@b.com", "<\u0338a@b.com>", "a@" + "b" * 64 + ".com",
        "a@" + ".".join(["abcdefghi"] * 26) + ".com", "a" * 2049 + "@b.com", "a\uff20b.com",
    ]
    for i, e in enumerate(es):
        write("fuzz_email", "e%02d-%s" % (i, hashlib.sha1(e.encode()).hexdigest()[:8]), e)
    write("fuzz_email", "invalid-utf8", b"a\xff@b.com")
    write("fuzz_email", "invalid-utf8-domain", b"a@b\xc3.com")
    write("fuzz_email", "lone-lead", b"\xf4\x90\x80\x80@x.com")


def auth_seeds():
    tok = "gat_fuzzADMINfuzzADMINfuzzADMINfuzzADMINfuzzADM"
    hs = {
        "admin": "Bearer " + tok,
        "viewer": "Bearer gat_fuzzVIEWERfuzzVIEWERfuzzVIEWERfuzzVIEWERfuz",
        "expired": "Bearer gat_fuzzEXPIREDfuzzEXPIREDfuzzEXPIREDfuzzEXPIRE",
        "lowercase": "bearer " + tok,
        "blanks": "BEARER  \t" + tok + " \t ",
        "no-token": "Bearer ",
        "no-space": "Bearer" + tok,
        "tab": "Bearer\t" + tok,
        "refresh-prefix": "Bearer grt_" + tok[4:],
        "short": "Bearer gat_x",
        "long": "Bearer " + tok + "x",
        "basic": "Basic YWRtaW46cGFzcw==",
        "empty": "",
        "crlf": "Bearer " + tok + "\r\nX-Evil: 1",
        "two-tokens": "Bearer " + tok + " " + tok,
        "nul": "Bearer " + tok[:10] + "\0" + tok[11:],
        "huge": "Bearer " + "A" * 8000,
    }
    for name, h in hs.items():
        write("fuzz_auth", name, h)
    write("fuzz_auth", "invalid-utf8", b"Bearer \xff\xfe" + tok[2:].encode())


if __name__ == "__main__":
    for h in ("fuzz_request", "fuzz_json_body", "fuzz_query", "fuzz_uuid", "fuzz_email", "fuzz_login_form",
              "fuzz_auth"):
        shutil.rmtree(os.path.join(CORPUS, h), ignore_errors=True)
    request_seeds()
    json_seeds()
    query_seeds()
    uuid_seeds()
    email_seeds()
    auth_seeds()
