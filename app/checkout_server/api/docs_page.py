"""GET /api/v1/docs: a server-rendered list of the operations, from the OpenAPI document. No scripts, no
external assets; a strict Content-Security-Policy allows only the page's own inline style (by nonce)."""

from __future__ import annotations

import secrets
from html import escape
from typing import Any

from aiohttp import web

from app.checkout_server.api.openapi import openapi_document

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d1d1f}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
.op{border:1px solid #e3e3e3;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:700}
.GET{color:#0a6}.POST{color:#06c}.PATCH{color:#b60}.PUT{color:#b60}.DELETE{color:#c22}
code{background:#f4f4f4;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #e3e3e3;padding:.15rem .5rem;text-align:left}
.scope{float:right;color:#666}
"""


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return str(schema.get("type", "any"))


def _fields_table(rows: list[tuple[str, str, bool, str]]) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><td><code>{escape(n)}</code></td><td>{escape(t)}</td><td>{'yes' if r else ''}</td>"
                   f"<td>{escape(d)}</td></tr>" for n, t, r, d in rows)
    return f"<table><tr><th>name</th><th>type</th><th>required</th><th>notes</th></tr>{body}</table>"


def _operation(method: str, path: str, op: dict[str, Any], doc: dict[str, Any]) -> str:
    scope = op.get("x-required-scope", "no key")
    parts = [f"<div class=op><span class=scope>scope: <code>{escape(scope)}</code></span>"
             f"<span class='m {method.upper()}'>{method.upper()}</span> <code>{escape(path)}</code>"
             f"<div>{escape(op['summary'])}</div>"]
    if op.get("description"):
        parts.append(f"<p>{escape(op['description'])}</p>")
    params = [(p["name"] + f" ({p['in']})", _type(p["schema"]), p["required"], p.get("description", ""))
              for p in op.get("parameters", [])]
    parts.append(_fields_table(params))
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        schema = _resolve(body["schema"], doc)
        required = set(schema.get("required", ()))
        rows = [(n, _type(s), n in required, s.get("description", "")) for n, s in schema.get("properties", {}).items()]
        parts.append("<div>JSON body:</div>" + _fields_table(rows))
    parts.append("</div>")
    return "".join(parts)


def render_docs() -> web.Response:
    doc = openapi_document()
    by_tag: dict[str, list[str]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append(_operation(method, path, op, doc))
    nonce = secrets.token_urlsafe(16)
    sections = "".join(f"<h2>{escape(tag)}</h2>{''.join(ops)}" for tag, ops in by_tag.items())
    html = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>RedWaves API</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<style nonce='{nonce}'>{STYLE}</style></head><body><h1>RedWaves API v1</h1>"
            f"<p>{escape(doc['info']['description'])}</p>"
            f"<p>Machine-readable: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a> (OpenAPI 3.1).</p>"
            f"{sections}</body></html>")
    csp = (f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'none'; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'")
    return web.Response(text=html, content_type="text/html", headers={
        "Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY"})
