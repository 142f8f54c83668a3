"""``Idempotency-Key`` for create endpoints: a retried request replays the first answer.

The flow claims the key *before* running the view, by inserting an "in progress"
record and committing. The unique constraint on ``(user_id, key)`` then settles the
race between two concurrent first requests: the loser's insert fails and it gets a 409
"in progress" (or the replay, if the winner has finished). Afterwards a 2xx response
is stored in the record; any other outcome deletes it, so the client may retry.

A record whose request fingerprint (method, path, canonical JSON body) differs from the
new request's is a 409: the key was reused for a different request.

Anonymous requests (sign-up) store ``user_id = NULL``. SQL treats NULLs as distinct,
so the constraint does not guard their race; endpoints open to anonymous callers must
be unique by nature (sign-up is: the email is unique), the key then only adds replay.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from closerhub import clock
from closerhub.api.models import IdempotencyRecord
from closerhub.api.problems import json_text, problem_response
from closerhub.core.errors import Conflict, ValidationError
from closerhub.core.i18n import _
from closerhub.db import is_transient
from closerhub.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX = 255
IN_PROGRESS = 0  # response_status of a claimed key whose request has not finished
# A claim older than this belongs to a request that died (worker killed mid-request):
# it may be taken over, otherwise the key would be blocked forever.
STALE_CLAIM = timedelta(minutes=2)


SECRET_FIELDS = frozenset({"token"})  # response fields never written to the idempotency store


def request_fingerprint() -> str:
    """SHA-256 of method, path and body; JSON bodies are canonicalised (key order, spaces)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _valid_key(raw: str) -> str:
    if not raw or len(raw) > KEY_MAX or not all(33 <= ord(ch) <= 126 for ch in raw):
        raise ValidationError(
            _(
                "%(header)s must be 1 to %(max)d visible ASCII characters (a UUID is ideal).",
                header=HEADER,
                max=KEY_MAX,
            ),
            field_errors={HEADER: _("1 to %(max)d visible ASCII characters.", max=KEY_MAX)},
            code="invalid_idempotency_key",
        )
    return raw


def _find(user_id: int | None, key: str) -> IdempotencyRecord | None:
    owner = IdempotencyRecord.user_id.is_(None) if user_id is None else IdempotencyRecord.user_id == user_id
    return db.session.scalar(
        select(IdempotencyRecord).where(owner, IdempotencyRecord.key == key).order_by(IdempotencyRecord.id).limit(1)
    )


def _answer_existing(record: IdempotencyRecord, fingerprint: str) -> Response:
    """A replay of a finished record, or the 409 for a reused key / a request in flight."""
    if record.request_hash != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used with a different request. Use a new key."),
            field_errors={HEADER: _("Already used with a different request.")},
            code="idempotency_key_reused",
        )
    if record.response_status == IN_PROGRESS:
        response = problem_response(
            409,
            _(Conflict.title),
            _("A request with this Idempotency-Key is still in progress. Retry in a moment."),
            code="idempotency_in_progress",
        )
        response.headers["Retry-After"] = "1"
        return response
    response = Response(record.response_body, status=record.response_status, mimetype="application/json")
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _resolve(existing: IdempotencyRecord, fingerprint: str, now: datetime) -> Response | None:
    """The answer for a key already claimed, or None once a dead claim has been removed."""
    if existing.response_status != IN_PROGRESS or now - existing.created_at <= STALE_CLAIM:
        return _answer_existing(existing, fingerprint)
    record_id = existing.id
    db.session.commit()  # end the read transaction first (see _claim)
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id, IdempotencyRecord.response_status == IN_PROGRESS
        )
    )
    db.session.commit()
    return None


def _claim(user_id: int | None, key: str, fingerprint: str) -> tuple[int | None, Response | None]:
    """Claim ``key``: ``(record_id, None)`` when this request runs, ``(None, response)`` otherwise."""
    now = clock.utcnow()
    for _attempt in range(3):
        existing = _find(user_id, key)
        if existing is not None:
            answer = _resolve(existing, fingerprint, now)
            if answer is not None:
                return None, answer
            continue
        # End the read transaction so the insert starts its own: on SQLite a transaction that
        # has read cannot start writing after another connection committed (it fails at once),
        # whereas one that begins with the write waits for the lock.
        db.session.commit()
        record = IdempotencyRecord(
            user_id=user_id,
            key=key,
            method=request.method,
            path=request.path[:255],
            request_hash=fingerprint,
            response_status=IN_PROGRESS,
            response_body="",
            created_at=now,
        )
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent request claimed the key between our look and our insert
            db.session.rollback()
            continue
        return record.id, None
    raise Conflict(
        _("A request with this Idempotency-Key is in progress. Retry in a moment."), code="idempotency_in_progress"
    )


def _stored_body(response: Response) -> str:
    """The body to keep for replays, without secrets: a bearer token is shown once, never stored.

    A replay of a token creation therefore answers the same object with ``"token": null``.
    """
    text = response.get_data(as_text=True)
    try:
        payload = json.loads(text)
    except ValueError:
        return text
    if isinstance(payload, dict) and any(key in payload for key in SECRET_FIELDS):
        payload = {key: (None if key in SECRET_FIELDS else value) for key, value in payload.items()}
        return json_text(payload)
    return text


def _finish(record_id: int, response: Response | None) -> None:
    """Store a 2xx response in the claim; drop the claim for anything else."""
    db.session.rollback()  # whatever the view left uncommitted is not ours to commit
    if response is not None and 200 <= response.status_code < 300:
        db.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(response_status=response.status_code, response_body=_stored_body(response))
        )
    else:
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def idempotent(view: F) -> F:
    """Honour ``Idempotency-Key`` on a create endpoint. Place it after authentication."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return view(*args, **kwargs)
        key = _valid_key(raw_key.strip())
        user = g.get("api_user")
        record_id, answer = _claim(user.id if user is not None else None, key, request_fingerprint())
        if answer is not None:
            return answer
        assert record_id is not None
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException as exc:
            if not is_transient(exc):  # a busy database would keep us waiting for the same lock again
                try:
                    _finish(record_id, None)
                except Exception:  # keep the view's error; the stale claim expires by itself
                    log.exception("Could not release Idempotency-Key claim %s", record_id)
            raise
        try:
            _finish(record_id, response)
        except Exception:
            # The view's work is committed: its answer stands. The claim stays "in progress" and
            # expires by itself (STALE_CLAIM): a retry before that is told the first is in progress;
            # after, it runs again (a booking then finds its own slot taken).
            log.exception("Could not store the answer of Idempotency-Key claim %s", record_id)
            db.session.rollback()
        return response

    return wrapped  # type: ignore[return-value]
