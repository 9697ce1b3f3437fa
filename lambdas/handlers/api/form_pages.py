"""The HTML a person sees of a form: the form itself (its title, description and one input
per field of its schema, typed), what answering it did, and why it cannot be answered.

Minimal and self-contained: no script, no external asset, every text escaped. The page
posts to its own address (the form's, `?token=...`), `application/x-www-form-urlencoded`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from lambdas.runtime.forms import TOKEN_PARAMETER, Form
from lambdas.runtime.schema_fields import SchemaField, form_fields

# What a form page may load and where it may post: nothing but its own style and itself.
# The token is in the page's address: no referrer carries it elsewhere, no cache keeps it.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
HTML = "text/html; charset=utf-8"

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}label{display:block;margin:1rem 0 .25rem;font-weight:600}"
    "input[type=text],input[type=number],input[type=datetime-local]{width:100%;"
    "padding:.4rem;box-sizing:border-box}small{display:block;color:#555;font-weight:400}"
    "button{margin-top:1.5rem;padding:.5rem 1.5rem}.check{display:flex;gap:.5rem;"
    "align-items:center}.check label{margin:0}"
)

# How each field type is asked for: the input's type and its attributes.
INPUTS = {
    "string": 'type="text"',
    "integer": 'type="number" step="1"',
    "number": 'type="number" step="any"',
    "datetime": 'type="datetime-local" step="1"',
}


def form_page(form: Form, token: str) -> str:
    """The page of `form` (whose token is `token`): its title, description and an input per
    field, posting to the form's own address."""
    fields = "".join(_field(field) for field in form_fields(form.form_schema))
    description = f"<p>{escape(form.description)}</p>" if form.description else ""
    # relative: the page's own path, with the token in the query string again
    action = escape("?" + urlencode({TOKEN_PARAMETER: token}))
    body = (
        f"<h1>{escape(form.title)}</h1>{description}"
        f'<form method="post" action="{action}">{fields}'
        '<button type="submit">Send</button></form>'
    )
    return _page(form.title, body)


def _field(field: SchemaField) -> str:
    name = escape(field.name)
    identifier = f"field-{name}"
    hint = f"<small>{escape(field.description)}</small>" if field.description else ""
    if field.type == "boolean":
        return (
            f'<div class="check"><input type="checkbox" id="{identifier}" name="{name}" '
            f'value="true"><label for="{identifier}">{name}{hint}</label></div>'
        )
    required = " required" if field.required else ""
    marker = " *" if field.required else ""
    return (
        f'<label for="{identifier}">{name}{marker}{hint}</label>'
        f'<input {INPUTS[field.type]} id="{identifier}" name="{name}"{required}>'
    )


def message_page(title: str, message: str) -> str:
    """A page that says `message` (a form answered, or why it cannot be)."""
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
