"""API v1 foundation routes: sign-up, tokens, the current user, the docs.

Views stay thin: parse (done by ``api_route``), call the same service functions as the
web pages, shape the answer with a response model. Domain errors become problem
details in the error handlers.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from closerhub import clock
from closerhub.accounts import service as accounts
from closerhub.accounts import tokens
from closerhub.accounts.models import ApiToken
from closerhub.api import bp, openapi
from closerhub.api.auth import current_api_user
from closerhub.api.pagination import paginate
from closerhub.api.routing import PUBLIC, api_route
from closerhub.api.schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    Page,
    PageQuery,
    SignupIn,
    TokenIn,
    TokenOut,
    UserOut,
)
from closerhub.extensions import db

#: ``app.extensions`` key of what the app factory adds to the docs page (the webhook catalog):
#: the API package names no feature.
DOCS_CONTEXT = "closerhub.api_docs_context"

# --- accounts --------------------------------------------------------------------------


@api_route(
    "POST",
    "/signup",
    summary="Open a closer or business account",
    auth=PUBLIC,
    body=SignupIn,
    response=UserOut,
    status=201,
    idempotent=True,
    rate_limit="10 per hour",
    errors=(409,),
    tags=("accounts",),
)
def signup(body: SignupIn) -> UserOut:
    """Creates the user (and, for a business, the business with the user as owner).

    An email already registered is a 409 `email_taken`. Then get a token from
    `POST /api/v1/auth/token`.
    """
    data = accounts.SignupData(
        email=body.email,
        password=body.password,
        name=body.name,
        role=body.role,
        timezone=body.timezone,
        language=body.language,
        business_name=body.business_name,
    )
    return UserOut.model_validate(accounts.signup(db.session, data, now=clock.utcnow()))


@api_route(
    "POST",
    "/auth/token",
    summary="Exchange email and password for a bearer token",
    auth=PUBLIC,
    body=TokenIn,
    response=TokenOut,
    status=201,
    rate_limit="10 per minute",
    errors=(401,),
    tags=("accounts",),
)
def issue_token(body: TokenIn) -> TokenOut:
    """Wrong credentials are a 401 with the same message whether or not the email exists.

    The token expires after 90 days (configurable) and can be revoked with
    `DELETE /api/v1/tokens/{id}` or on the account page.
    """
    user = accounts.authenticate(db.session, body.email, body.password, now=clock.utcnow())
    token, secret = tokens.create_token(db.session, user, body.name or "API (auth/token)", clock.utcnow())
    return TokenOut(token=secret, expires_at=token.expires_at, user=UserOut.model_validate(user))


@api_route("GET", "/me", summary="The authenticated user", response=UserOut, tags=("accounts",))
def me() -> UserOut:
    return UserOut.model_validate(current_api_user())


# --- tokens ----------------------------------------------------------------------------


@api_route(
    "GET",
    "/tokens",
    summary="Your API tokens (revoked and expired included)",
    query=PageQuery,
    response=Page[ApiTokenOut],
    tags=("tokens",),
)
def list_tokens(query: PageQuery) -> dict[str, Any]:
    """Oldest first; secrets are never shown again, only their `prefix`."""
    user = current_api_user()
    return paginate(
        db.session,
        tokens.tokens_query(user),
        ApiToken.id,
        query,
        lambda t: ApiTokenOut.model_validate(t).model_dump(mode="json"),
    )


@api_route(
    "POST",
    "/tokens",
    summary="Create a named API token",
    body=ApiTokenIn,
    response=ApiTokenCreatedOut,
    status=201,
    idempotent=True,
    tags=("tokens",),
)
def create_token(body: ApiTokenIn) -> ApiTokenCreatedOut:
    """The secret is in `token`, shown this once."""
    token, secret = tokens.create_token(db.session, current_api_user(), body.name, clock.utcnow())
    return ApiTokenCreatedOut.model_validate({**ApiTokenOut.model_validate(token).model_dump(), "token": secret})


@api_route(
    "DELETE", "/tokens/<int:token_id>", summary="Revoke one of your tokens", response=ApiTokenOut, tags=("tokens",)
)
def revoke_token(token_id: int) -> ApiTokenOut:
    """Revoking twice is harmless; another user's token id is a 404."""
    token = tokens.revoke_token(db.session, current_api_user(), token_id, clock.utcnow())
    return ApiTokenOut.model_validate(token)


# --- documentation ---------------------------------------------------------------------


@api_route(
    "GET",
    "/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    auth=PUBLIC,
    response={"type": "object", "description": "OpenAPI 3.1 document"},
    tags=("meta",),
)
def openapi_document() -> dict[str, Any]:
    return openapi.build_document()


@bp.get("/docs")
def docs() -> str:
    """The human guide: conventions, then every endpoint, from the same registry as the OpenAPI document."""
    return render_template(
        "api/docs.html",
        entries=openapi.docs_entries(openapi.build_document()),
        **current_app.extensions.get(DOCS_CONTEXT, {}),
    )
