"""The machine-readable description of the HTTP API (OpenAPI 3.1), served at
/{subdomain}/api/v1/openapi.json. tests/unit/test_api_openapi.py keeps it true: every path and
method here is a route of the app and every route is here, and every JSON answer the API tests
receive validates against the schema given here for its status.
"""

from __future__ import annotations

import functools
from typing import Any

from xobito_web import urls
from xobito_web.services import api_tokens, attachments, tickets

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {
        400: "Malformed request (bad JSON or multipart, bad cursor).",
        401: "Not signed in, or the token is not valid (revoked, another workspace's, owner deactivated).",
        403: "Refused: another site's request, a missing CSRF token, or the role may not do this.",
        404: "No such workspace, or no such ticket for this person (the two look alike).",
        409: "The ticket's state refuses it (closed).",
        413: "A file over 10 MB, or a body larger than any message may be.",
        415: "A file of a type that is not allowed, or a body that is neither JSON nor a form.",
        422: "A field breaks a rule (the message says which, as the screens do).",
        429: "Too many requests, replies or tickets; see Retry-After.",
    }
    return {str(status): _json(_ref("Error"), meaning[status]) for status in statuses}


_SUBDOMAIN = {"name": "subdomain", "in": "path", "required": True, "schema": {"type": "string"}}
_TICKET = {
    "name": "ticket",
    "in": "path",
    "required": True,
    "description": "The ticket ID, e.g. TKT-000042.",
    "schema": {"type": "string"},
}
_CSRF_HEADER = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": False,
    "description": "Required when authenticated by the session cookie (GET /me gives it); not with a token.",
    "schema": {"type": "string"},
}
_AUTH_ERRORS = (401, 404, 429)
_CHANGE_ERRORS = (400, 401, 403, 404, 429)


def _message_body(fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    multipart_fields = {
        **fields,
        "files": {
            "type": "array",
            "maxItems": attachments.MAX_FILES,
            "items": {"type": "string", "format": "binary"},
            "description": f"Up to {attachments.MAX_FILES} files of at most 10 MB: "
            + ", ".join(attachments.ALLOWED_EXTENSIONS),
        },
        "csrf_token": {"type": "string"},
    }
    return {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": multipart_fields, "required": required}},
            JSON: {"schema": {"type": "object", "properties": fields, "required": required}},
        },
    }


def _fields_body(fields: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {**fields}}
    if required:
        schema["required"] = required
    form = {"type": "object", "properties": {**fields, "csrf_token": {"type": "string"}}}
    return {
        "required": bool(required),
        "content": {JSON: {"schema": schema}, "application/x-www-form-urlencoded": {"schema": form}},
    }


_BODY = {"type": "string", "minLength": tickets.MESSAGE_MIN, "maxLength": tickets.MESSAGE_MAX}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "field"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The field at fault; empty when none."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Every field at fault (creating a ticket).",
                    },
                },
            }
        },
    },
    "TicketRow": {
        "type": "object",
        "required": [
            "ref",
            "number",
            "subject",
            "department",
            "priority",
            "status",
            "waiting_on",
            "customer_name",
            "assignee_name",
            "created_at",
            "last_reply_at",
            "url",
        ],
        "properties": {
            "ref": {"type": "string", "pattern": "^TKT-[0-9]{6,}$"},
            "number": {"type": "integer", "minimum": 1},
            "subject": {"type": "string"},
            "department": {"type": "string"},
            "priority": {"enum": list(tickets.PRIORITIES)},
            "status": {"enum": list(tickets.STATUSES)},
            "waiting_on": {"enum": ["team", "customer", ""]},
            "customer_name": {"type": "string"},
            "assignee_name": {"type": "string", "description": "Empty for customers."},
            "created_at": {"type": "string", "format": "date-time"},
            "last_reply_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "TicketList": {
        "type": "object",
        "required": ["tickets", "next_cursor", "next_url"],
        "properties": {
            "tickets": {"type": "array", "items": _ref("TicketRow")},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as `after`; null on the last page."},
            "next_url": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
    },
    "Attachment": {
        "type": "object",
        "required": ["id", "name", "size", "content_type", "download_url"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "size": {"type": "integer"},
            "content_type": {"type": "string"},
            "download_url": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "Message": {
        "type": "object",
        "required": ["id", "author_name", "author_role", "is_team", "is_internal", "body", "created_at", "attachments"],
        "properties": {
            "id": {"type": "integer", "description": "0 for the ticket's first message, else the reply's id."},
            "author_name": {"type": "string"},
            "author_role": {"enum": ["admin", "staff", "customer"]},
            "is_team": {"type": "boolean"},
            "is_internal": {
                "type": "boolean",
                "description": "An internal note: shown to the team only (never listed for a customer).",
            },
            "body": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "attachments": {"type": "array", "items": _ref("Attachment")},
        },
        "additionalProperties": False,
    },
    "Ticket": {
        "type": "object",
        "required": [
            "ref",
            "number",
            "subject",
            "department_id",
            "department",
            "priority",
            "status",
            "waiting_on",
            "customer_name",
            "assignee_name",
            "created_at",
            "last_reply_at",
            "url",
            "can_reply",
            "can_close",
            "messages",
        ],
        "properties": {
            "ref": {"type": "string"},
            "number": {"type": "integer"},
            "subject": {"type": "string"},
            "department_id": {"type": "integer"},
            "department": {"type": "string"},
            "priority": {"enum": list(tickets.PRIORITIES)},
            "status": {"enum": list(tickets.STATUSES)},
            "waiting_on": {"enum": ["team", "customer", ""]},
            "customer_name": {"type": "string"},
            "assignee_name": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_reply_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"},
            "can_reply": {"type": "boolean"},
            "can_close": {"type": "boolean"},
            "messages": {"type": "array", "items": _ref("Message")},
        },
        "additionalProperties": False,
    },
    "Change": {
        "type": "object",
        "description": "What a change did; the new message for a new ticket or a reply.",
        "required": ["ref", "status", "department", "assignee_name", "url", "message"],
        "properties": {
            "ref": {"type": "string"},
            "status": {"enum": list(tickets.STATUSES)},
            "department": {"type": "string"},
            "assignee_name": {"type": "string"},
            "url": {"type": "string"},
            "message": {"oneOf": [_ref("Message"), {"type": "null"}]},
        },
        "additionalProperties": False,
    },
    "Token": {
        "type": "object",
        "required": ["id", "name", "prefix", "owner_name", "owner_email", "created_at", "last_used_at"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "maxLength": api_tokens.NAME_MAX},
            "prefix": {"type": "string", "description": "The token's first characters, to tell tokens apart."},
            "owner_name": {"type": "string"},
            "owner_email": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "CreatedToken": {
        "allOf": [
            _ref("Token"),
            {
                "type": "object",
                "required": ["token"],
                "properties": {"token": {"type": "string", "description": "Shown this once; only its hash is kept."}},
            },
        ]
    },
    "TokenList": {
        "type": "object",
        "required": ["tokens"],
        "properties": {"tokens": {"type": "array", "items": _ref("Token")}},
    },
    "Me": {
        "type": "object",
        "required": ["name", "email", "role", "workspace", "authenticated_by", "csrf_token"],
        "properties": {
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"enum": ["admin", "staff", "customer"]},
            "workspace": {
                "type": "object",
                "required": ["subdomain", "name"],
                "properties": {"subdomain": {"type": "string"}, "name": {"type": "string"}},
            },
            "authenticated_by": {"enum": ["session", "token"]},
            "csrf_token": {
                "type": ["string", "null"],
                "description": "For changes made with the session cookie (X-CSRF-Token or the csrf_token field).",
            },
        },
        "additionalProperties": False,
    },
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _paths() -> dict[str, Any]:
    ticket_params = [_SUBDOMAIN, _TICKET]
    reply: dict[str, Any] = {
        "summary": "Reply to a ticket",
        "parameters": [*ticket_params, _CSRF_HEADER],
        "requestBody": _message_body({"body": _BODY}, ["body"]),
        "responses": {
            "201": _json(_ref("Change"), "The reply was added (and its emails queued)."),
            **_errors(*_CHANGE_ERRORS, 409, 413, 415, 422),
        },
    }
    close: dict[str, Any] = {
        "summary": "Close a ticket",
        "parameters": [*ticket_params, _CSRF_HEADER],
        "requestBody": _fields_body({}),
        "responses": {"200": _json(_ref("Change"), "The ticket is closed."), **_errors(*_CHANGE_ERRORS, 409, 415)},
    }
    browser_note = (
        " The help page's form route: a browser form post (not asking for JSON) is answered with a "
        "303 to the ticket page (the sign-in page when signed out, the message as text when refused)."
    )
    form_reply = {**reply, "summary": "Reply (form route)", "description": reply["summary"] + "." + browser_note}
    form_reply["responses"] = {**reply["responses"], "303": {"description": "To the ticket page (browser form)."}}
    form_close = {**close, "summary": "Close (form route)", "description": close["summary"] + "." + browser_note}
    form_close["responses"] = {**close["responses"], "303": {"description": "To the ticket page (browser form)."}}
    return {
        urls.REPLY_PATH: {"post": form_reply},
        urls.CLOSE_PATH: {"post": form_close},
        urls.API_OPENAPI_PATH: {
            "get": {
                "summary": "This description",
                "security": [],
                "parameters": [_SUBDOMAIN],
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}},
            }
        },
        urls.API_ME_PATH: {
            "get": {
                "summary": "Who is asking (and the session's CSRF token)",
                "parameters": [_SUBDOMAIN],
                "responses": {"200": _json(_ref("Me"), "The signed-in person."), **_errors(*_AUTH_ERRORS)},
            }
        },
        urls.API_TICKETS_PATH: {
            "get": {
                "summary": "The tickets this person may see, newest activity first",
                "parameters": [
                    _SUBDOMAIN,
                    _query("status", "Comma-separated: open, answered, closed, or all (default open,answered)."),
                    _query("priority", "Comma-separated: low, medium, high, urgent."),
                    _query("department_id", "Comma-separated department ids."),
                    _query(
                        "q",
                        "A ticket ID, or words that must all be in the subject.",
                        {"type": "string", "maxLength": tickets.MAX_SEARCH_LENGTH},
                    ),
                    _query("mine", "true: only tickets assigned to me.", {"enum": ["true", "false", "1", "0"]}),
                    _query("after", "The next_cursor of the previous page."),
                    _query("limit", "Page size.", {"type": "integer", "minimum": 1, "maximum": tickets.MAX_PAGE_SIZE}),
                ],
                "responses": {"200": _json(_ref("TicketList"), "One page."), **_errors(400, 422, *_AUTH_ERRORS)},
            },
            "post": {
                "summary": "Open a ticket (customers)",
                "parameters": [_SUBDOMAIN, _CSRF_HEADER],
                "requestBody": _message_body(
                    {
                        "subject": {
                            "type": "string",
                            "minLength": tickets.SUBJECT_MIN,
                            "maxLength": tickets.SUBJECT_MAX,
                        },
                        "department_id": {"type": "integer"},
                        "priority": {"enum": list(tickets.PRIORITIES)},
                        "body": _BODY,
                    },
                    ["subject", "department_id", "body"],
                ),
                "responses": {
                    "201": _json(_ref("Change"), "The new ticket (Location: its API address)."),
                    **_errors(*_CHANGE_ERRORS, 413, 415, 422),
                },
            },
        },
        urls.API_TICKET_PATH: {
            "get": {
                "summary": "One ticket with its whole thread",
                "parameters": ticket_params,
                "responses": {"200": _json(_ref("Ticket"), "The ticket."), **_errors(*_AUTH_ERRORS)},
            }
        },
        urls.API_REPLIES_PATH: {"post": reply},
        urls.API_CLOSE_PATH: {"post": close},
        urls.API_ASSIGN_PATH: {
            "post": {
                "summary": "Set the department and assignee (admins)",
                "parameters": [*ticket_params, _CSRF_HEADER],
                "requestBody": _fields_body(
                    {
                        "department_id": {"type": ["integer", "null"], "description": "Absent: keep the department."},
                        "assignee_id": {"type": ["integer", "null"], "description": "Null or absent: nobody."},
                    }
                ),
                "responses": {"200": _json(_ref("Change"), "Assigned."), **_errors(*_CHANGE_ERRORS, 409, 415, 422)},
            }
        },
        urls.API_TAKE_PATH: {
            "post": {
                "summary": "Assign the ticket to myself (team)",
                "parameters": [*ticket_params, _CSRF_HEADER],
                "requestBody": _fields_body({}),
                "responses": {"200": _json(_ref("Change"), "Taken."), **_errors(*_CHANGE_ERRORS, 409, 415)},
            }
        },
        urls.API_TOKENS_PATH: {
            "get": {
                "summary": "My API tokens (scope=workspace: every token of the workspace, admins)",
                "parameters": [
                    _SUBDOMAIN,
                    _query("scope", "own (default) or workspace.", {"enum": ["own", "workspace"]}),
                ],
                "responses": {"200": _json(_ref("TokenList"), "The tokens."), **_errors(403, 422, *_AUTH_ERRORS)},
            },
            "post": {
                "summary": "Create an API token (signed-in session only; shown once)",
                "parameters": [_SUBDOMAIN, _CSRF_HEADER],
                "requestBody": _fields_body({"name": {"type": "string", "maxLength": api_tokens.NAME_MAX}}, ["name"]),
                "responses": {
                    "201": _json(_ref("CreatedToken"), "The token, shown this once."),
                    **_errors(*_CHANGE_ERRORS, 409, 415, 422),
                },
            },
        },
        urls.API_TOKEN_PATH: {
            "delete": {
                "summary": "Revoke a token (its owner, or an admin of the workspace)",
                "parameters": [
                    _SUBDOMAIN,
                    {"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _CSRF_HEADER,
                ],
                "responses": {"204": {"description": "Revoked."}, **_errors(*_CHANGE_ERRORS, 409)},
            }
        },
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Xobito tickets API",
            "version": "1",
            "description": "Tickets, replies and assignment over HTTP, with the same rules, emails and live "
            "updates as the app. Authenticate with a personal API token (Authorization: Bearer …, created on "
            "your profile page) or, from the app's own pages, the session cookie plus its CSRF token.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}, {"sessionCookie": []}],
        "paths": _paths(),
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "A personal API token (xob_…)."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "xobito_session"},
            },
        },
    }
