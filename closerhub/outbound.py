"""Server-side requests to URLs users give us (calendar feeds, CalDAV servers, webhooks).

The rules (DESIGN.md "Server-side requests to user-given URLs"):

- only ``http`` and ``https``, no credentials in the URL;
- the host is resolved first and **every** address it resolves to must be public: private,
  loopback, link-local (cloud metadata at 169.254.169.254), multicast, reserved and
  unspecified addresses are refused, unless ``OUTBOUND_ALLOW_PRIVATE`` (development and
  tests: a local Radicale; production: false);
- bounded timeouts (``OUTBOUND_TIMEOUT_SECONDS``) and a bounded body (``max_bytes``);
- redirects are followed only to the same origin (scheme, host and port), each one checked
  again; a redirect elsewhere is an error.

- the address the connection really reached is checked again before the request is sent (a
  ``pre_send`` hook reads the socket's peer): the check above resolves the name, the HTTP
  library resolves it again to connect, and a DNS answer that changes between the two
  (rebinding) would otherwise reach a private address. A CalDAV client's redirects, which
  the library follows itself, are checked the same way on their answer.

The HTTP library is niquests, the one caldav uses, so a CalDAV client's session gets the
same redirect rule through :func:`guard_session`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import niquests
from flask import current_app, has_app_context

from closerhub.core.i18n import _

MAX_REDIRECTS = 3
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024


class OutboundError(Exception):
    """A request to a user-given URL was refused or failed; ``str(exc)`` is safe to show its owner."""


@dataclass(frozen=True)
class Fetched:
    """A bounded response: status, headers and the body as bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def allow_private() -> bool:
    """Whether private and loopback addresses may be reached (``OUTBOUND_ALLOW_PRIVATE``)."""
    return bool(_setting("OUTBOUND_ALLOW_PRIVATE", False))


def timeout_seconds() -> float:
    """The connect and read timeout of every outbound request."""
    return float(_setting("OUTBOUND_TIMEOUT_SECONDS", 10))


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (an IPv4-mapped IPv6 address is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the check's own lookup; the connection makes another)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port)]


def check_url(url: str, *, allow_private_addresses: bool | None = None) -> str:
    """Validate ``url`` and its host's addresses; return the URL (stripped) or raise ``OutboundError``."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundError(_("This is not a valid web address.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(_("Use an address that starts with https:// (or http://)."))
    if parts.username or parts.password:
        raise OutboundError(_("Do not put a user name or password in the address; use the fields for them."))
    allowed = allow_private() if allow_private_addresses is None else allow_private_addresses
    try:
        addresses = resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        raise OutboundError(_("The server name %(host)s could not be found.", host=parts.hostname)) from None
    if not allowed and any(not is_public_address(address) for address in addresses):
        raise OutboundError(
            _("%(host)s is a private or local address; only public servers can be reached.", host=parts.hostname)
        )
    return url


def _private_peer(conn_info: Any) -> str | None:
    """The peer address a connection reached, when it is not public (None when public or unknown)."""
    peer = getattr(conn_info, "destination_address", None)
    if not peer:
        return None
    address = str(peer[0])
    return None if is_public_address(address) else address


def _refuse_private_peer(host: str | None) -> OutboundError:
    return OutboundError(_("%(host)s is a private or local address; only public servers can be reached.", host=host))


def peer_guard(allowed: bool) -> Any:
    """A niquests ``pre_send`` hook: once connected, refuse to send to a private or local peer."""

    def check_peer(prepared: niquests.PreparedRequest, **_kwargs: Any) -> None:
        if not allowed and _private_peer(prepared.conn_info) is not None:
            raise _refuse_private_peer(urlsplit(prepared.url or "").hostname)

    return check_peer


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def refuse_foreign_redirect(response: niquests.Response, *args: Any, **kwargs: Any) -> niquests.Response:
    """A niquests response hook: a redirect to another origin, or an answer from a private or local
    peer (a followed redirect's connection, when those are refused), is an ``OutboundError``."""
    if not allow_private() and _private_peer(response.conn_info) is not None:
        raise _refuse_private_peer(urlsplit(response.url or "").hostname)
    location = response.headers.get("Location")
    if response.is_redirect and location and response.url:
        target = urljoin(response.url, location)
        if _origin(target) != _origin(response.url):
            raise OutboundError(_("The server redirected to another address; use the final address instead."))
    return response


def guard_session(session: niquests.Session) -> niquests.Session:
    """Make a session (a caldav client's) refuse redirects to another origin and follow at most a few."""
    session.hooks.setdefault("pre_send", []).append(peer_guard(allow_private()))
    session.hooks.setdefault("response", []).append(refuse_foreign_redirect)  # type: ignore[arg-type]
    session.max_redirects = MAX_REDIRECTS
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    return session


def describe(exc: BaseException) -> str:
    """A short message for a failed request, safe to show (no credentials, no stack)."""
    if isinstance(exc, OutboundError):
        return str(exc)
    if isinstance(exc, niquests.exceptions.SSLError):
        return _("The server's TLS certificate could not be verified.")
    if isinstance(exc, niquests.exceptions.Timeout):
        return _("The server did not answer within %(seconds)d seconds.", seconds=int(timeout_seconds()))
    if isinstance(exc, niquests.exceptions.TooManyRedirects):
        return _("The server redirected too many times.")
    if isinstance(exc, niquests.exceptions.ConnectionError):
        return _("The server could not be reached.")
    return _("The request failed.")


def fetch(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_private_addresses: bool | None = None,
) -> Fetched:
    """GET ``url`` under the rules above; the body is read up to ``max_bytes`` (more is an error)."""
    current = check_url(url, allow_private_addresses=allow_private_addresses)
    timeout = timeout_seconds()
    allowed = allow_private() if allow_private_addresses is None else allow_private_addresses
    with niquests.Session(hooks={"pre_send": [peer_guard(allowed)]}) as session:
        session.trust_env = False
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                response = session.get(
                    current, headers=headers or {}, timeout=timeout, allow_redirects=False, stream=True
                )
                if response.is_redirect and response.headers.get("Location"):
                    target = urljoin(current, response.headers["Location"])
                    if _origin(target) != _origin(current):
                        raise OutboundError(
                            _("The server redirected to another address; use the final address instead.")
                        )
                    current = check_url(target, allow_private_addresses=allow_private_addresses)
                    response.close()
                    continue
                body = bytearray()
                for chunk in response.iter_content(_CHUNK):
                    body += chunk
                    if len(body) > max_bytes:
                        response.close()
                        raise OutboundError(
                            _("The calendar is larger than %(size)d MB.", size=max(1, max_bytes // (1024 * 1024)))
                        )
                return Fetched(response.status_code or 0, dict(response.headers), bytes(body))
            except OutboundError:
                raise
            except niquests.exceptions.RequestException as exc:
                raise OutboundError(describe(exc)) from None
    raise OutboundError(_("The server redirected too many times."))


@dataclass(frozen=True)
class Posted:
    """The answer to a POST: status and the first ``keep_bytes`` of the body (the rest is not read)."""

    status: int
    body: bytes


def post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    keep_bytes: int = 2048,
    timeout: float | None = None,
    allow_private_addresses: bool | None = None,
) -> Posted:
    """POST ``body`` to ``url`` under the rules above, never following a redirect (a 3xx is the answer).

    Webhook deliveries: the receiver's answer only says whether it took the event, so the body
    is read up to ``keep_bytes`` for the delivery log and the connection dropped after that.
    """
    target = check_url(url, allow_private_addresses=allow_private_addresses)
    allowed = allow_private() if allow_private_addresses is None else allow_private_addresses
    with niquests.Session(hooks={"pre_send": [peer_guard(allowed)]}) as session:
        session.trust_env = False
        try:
            response = session.post(
                target,
                data=body,
                headers=headers,
                timeout=timeout if timeout is not None else timeout_seconds(),
                allow_redirects=False,
                stream=True,
            )
            kept = bytearray()
            for chunk in response.iter_content(min(_CHUNK, keep_bytes)):
                kept += chunk
                if len(kept) >= keep_bytes:
                    break
            response.close()
            return Posted(response.status_code or 0, bytes(kept[:keep_bytes]))
        except niquests.exceptions.RequestException as exc:
            raise OutboundError(describe(exc)) from None
