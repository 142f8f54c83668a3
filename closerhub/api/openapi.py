"""The OpenAPI 3.1 document, generated from the route registry and the pydantic schemas.

``routing.api_route`` records one ``Operation`` per API view in ``REGISTRY`` while it
registers the Flask route, so the document cannot drift from the routes: the schemas
that validate a request and shape its response are the ones documented here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from closerhub.api.schema_docs import NO_NUL_TEXT, link_vocabularies, vocabularies
from closerhub.api.schemas import Problem

REF_TEMPLATE = "#/components/schemas/{model}"
_RULE_VARIABLE = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^>]*\))?:)?(?P<name>[a-zA-Z_]\w*)>")
_CONVERTER_SCHEMAS: dict[str, dict[str, object]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
_ERROR_TEXT = {
    401: "Missing, invalid, expired or revoked token",
    403: "Authenticated, but this role may not do this",
    404: "Not found (also for objects of other tenants)",
    409: "Conflict with the current state, or an Idempotency-Key reused with another body",
    422: "Invalid input; `errors` lists the fields",
    429: "Rate limited; retry after `Retry-After` seconds",
    503: "The database was busy (`busy`); nothing was saved: retry after `Retry-After` seconds",
}


@dataclass(frozen=True)
class Operation:
    """One documented API endpoint (a method on a path)."""

    method: str
    rule: str  # the Flask rule, e.g. /api/v1/tokens/<int:token_id>
    endpoint: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    roles: tuple[str, ...] | None = None  # None: public; otherwise the roles allowed
    body: type[BaseModel] | None = None
    raw_body: tuple[str, ...] = ()  # media types of a body the view reads itself (a CSV file)
    query: type[BaseModel] | None = None
    response: type[BaseModel] | dict[str, Any] | None = None
    status: int = 200
    response_media_type: str = "application/json"
    idempotent: bool = False
    rate_limit: str | None = None
    extra_errors: tuple[int, ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        """The OpenAPI path: ``<int:token_id>`` becomes ``{token_id}``."""
        return openapi_path(self.rule)

    def error_statuses(self) -> list[int]:
        """The problem responses this operation can give."""
        codes = set(self.extra_errors)
        if self.roles is not None:
            codes.add(401)
            if set(self.roles) != {"closer", "business", "admin"}:
                codes.add(403)
        if _RULE_VARIABLE.search(self.rule):
            codes.add(404)
        if self.body is not None or self.query is not None or self.raw_body:
            codes.add(422)
        if self.idempotent:
            codes.update({409, 422})
        if self.rate_limit:
            codes.add(429)
        if self.roles is not None or self.body is not None or self.query is not None or self.raw_body:
            codes.add(503)  # it reads the database (a token at least), which may give up under contention
        return sorted(codes)


REGISTRY: list[Operation] = []


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path template."""
    return _RULE_VARIABLE.sub(lambda m: "{" + m.group("name") + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": m.group("name"),
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTER_SCHEMAS.get(m.group("converter") or "", {"type": "string"})),
        }
        for m in _RULE_VARIABLE.finditer(rule)
    ]


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
        }
        if prop.get("description"):
            param["description"] = prop["description"]
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": _ERROR_TEXT.get(status, "Error"),
        "content": {"application/problem+json": {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }


def _operation_object(
    op: Operation, refs: dict[tuple[type[BaseModel], JsonSchemaMode], Any], defs: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.endpoint.split(".")[-1], "summary": op.summary, "tags": list(op.tags)}
    if op.description:
        out["description"] = op.description
    params = _path_parameters(op.rule)
    if op.query is not None:
        ref = refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[-1]
        params += _query_parameters(defs[ref])
    if op.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Any unique string of 1 to 255 visible ASCII characters (a UUID): a retry with the same "
                "key and body replays the first response.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
            }
        )
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    elif op.raw_body:
        out["requestBody"] = {
            "required": True,
            "content": {media: {"schema": {"type": "string"}} for media in op.raw_body},
        }
    responses: dict[str, Any] = {}
    if op.response is None:
        responses[str(op.status)] = {"description": "Done (no content)"}
    else:
        schema = op.response if isinstance(op.response, dict) else refs[(op.response, "serialization")]
        responses[str(op.status)] = {"description": "Success", "content": {op.response_media_type: {"schema": schema}}}
    for status in op.error_statuses():
        responses[str(status)] = _problem_response(status)
    out["responses"] = responses
    out["security"] = [] if op.roles is None else [{"bearerAuth": []}]
    if op.roles is not None:
        out["x-roles"] = list(op.roles)
    if op.rate_limit:
        out["x-rate-limit"] = op.rate_limit
    return out


def build_document(
    operations: list[Operation] | None = None, *, title: str = "CloserHub API", version: str = "1.0.0"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations`` (default: every registered API route)."""
    operations = REGISTRY if operations is None else operations
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for op in operations:
        for model, mode in ((op.body, "validation"), (op.query, "validation"), (op.response, "serialization")):
            if isinstance(model, type) and issubclass(model, BaseModel) and (model, mode) not in wanted:
                wanted.append((model, mode))  # type: ignore[arg-type]
    refs, top = models_json_schema(wanted, ref_template=REF_TEMPLATE)
    refs = link_vocabularies(refs, REF_TEMPLATE)
    defs: dict[str, Any] = {**link_vocabularies(top.get("$defs", {}), REF_TEMPLATE), **vocabularies()}
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(operations, key=lambda o: (o.path, o.method)):
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_object(op, refs, defs)
    tags = sorted({t for op in operations for t in op.tags})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "JSON API of CloserHub. Authenticate with `Authorization: Bearer <token>`; "
            "errors are RFC 9457 problem details. Integers are JSON integers (`1500`, never `1500.0`). "
            + NO_NUL_TEXT
            + " Human guide: /api/docs.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /api/v1/auth/token or the account page",
                }
            },
        },
    }


def type_label(schema: dict[str, Any]) -> str:
    """A short human description of a JSON schema (for the docs page)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(type_label(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(f'"{v}"' for v in schema["enum"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_label(schema.get('items', {}))}"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _example(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """A plausible example value for a schema (for curl snippets on the docs page)."""
    if "$ref" in schema:
        return _example(defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), defs, depth + 1)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "anyOf" in schema:
        return _example(next((s for s in schema["anyOf"] if s.get("type") != "null"), {}), defs, depth)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" and depth < 4:
        required = schema.get("required", [])
        return {k: _example(v, defs, depth + 1) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return [_example(schema.get("items", {}), defs, depth + 1)] if depth < 4 else []
    formats = {"email": "ada@example.com", "date-time": "2026-12-01T09:00:00+01:00", "date": "2026-12-01"}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    return {"integer": 1, "number": 1, "boolean": True, "string": "text"}.get(str(kind))


def _body_fields(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields of a request body; of a union (``oneOf``), each variant's, named by its title."""
    variants = body.get("oneOf") or [body]
    return [
        {
            "name": name,
            "type": type_label(prop),
            "required": name in variant.get("required", []),
            "description": " — ".join(
                x for x in (variant.get("title", "") if len(variants) > 1 else "", prop.get("description", "")) if x
            ),
        }
        for variant in variants
        for name, prop in variant.get("properties", {}).items()
    ]


def docs_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    """What the HTML docs page shows for each operation, derived from the document."""
    defs = document["components"]["schemas"]
    entries = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            body_ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body = defs.get(str(body_ref.get("$ref", "")).rsplit("/", 1)[-1]) if body_ref else None
            fields = _body_fields(body or {})
            success = next(iter(op["responses"].items()))
            schema = success[1].get("content", {}).get("application/json", {}).get("schema")
            entries.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "anchor": op["operationId"],
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["other"])[0],
                    "roles": op.get("x-roles"),
                    "rate_limit": op.get("x-rate-limit"),
                    "fields": fields,
                    "parameters": op.get("parameters", []),
                    "status": success[0],
                    "response": type_label(schema) if schema else "no content",
                    "errors": [s for s in op["responses"] if s != success[0]],
                    "example": _example(body_ref, defs) if body is not None else None,
                }
            )
    return sorted(entries, key=lambda e: (e["tag"], e["path"], e["method"]))
