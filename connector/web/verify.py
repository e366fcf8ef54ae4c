"""Pure checks of inbound authenticity: Zendesk webhook signatures and ZAF signed-URL JWTs."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import jwt

from connector.errors import SignatureError

REPLAY_WINDOW_S = 300  # Zendesk documents none (reference/zendesk.md §1.5): five minutes either way
JWT_LEEWAY_S = 30
CANVAS_MAX_AGE_S = 300
CANVAS_SKEW_S = 30  # clocks of Salesforce and this host may differ a little
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")  # ASCII digits only: no sign, point, exponent, nan, inf or "1_000"


def zendesk_signature_ok(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """base64(HMAC-SHA256(secret as UTF-8 text, timestamp + raw body)), compared in constant time."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac), (signature or "").encode("ascii", "replace"))


def check_zendesk_webhook(*, secret: str, timestamp: str | None, signature: str | None, body: bytes,
                          now: datetime) -> None:
    """Raise SignatureError unless the delivery is signed with ``secret`` and recent."""
    if not timestamp or not signature:
        raise SignatureError("missing X-Zendesk-Webhook-Signature or -Timestamp header")
    try:
        sent = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("unreadable X-Zendesk-Webhook-Signature-Timestamp") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=timezone.utc)
    if not zendesk_signature_ok(secret=secret, timestamp=timestamp, body=body, signature=signature):
        raise SignatureError("webhook signature does not match")
    if abs((now - sent).total_seconds()) > REPLAY_WINDOW_S:
        raise SignatureError("webhook timestamp is outside the replay window")


def check_zaf_token(token: str, *, public_key: str, zendesk_url: str) -> dict:
    """Verify a ZAF signed-URL JWT (§2.5): RS256 only, exp/iat, aud an installation of our account."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SignatureError("the app token is not a JWT") from None
    if header.get("alg") != "RS256":
        raise SignatureError(f"app token algorithm {header.get('alg')!r} is refused; only RS256 is accepted")
    base = zendesk_url.rstrip("/")
    try:
        claims = jwt.decode(token, public_key, algorithms=["RS256"], leeway=JWT_LEEWAY_S,
                            options={"require": ["exp", "iat", "aud", "iss"], "verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise SignatureError("the app token has expired") from None
    except jwt.PyJWTError as exc:
        raise SignatureError(f"the app token is not valid ({exc.__class__.__name__})") from None
    audience = claims.get("aud")
    pattern = re.escape(f"{base}/api/v2/apps/installations/") + r"\d+\.json"
    if not isinstance(audience, str) or not re.fullmatch(pattern, audience):
        raise SignatureError("the app token is for another Zendesk account or app installation")
    host = urlsplit(base).netloc
    if claims.get("iss") not in (host, base):
        raise SignatureError("the app token was issued by another Zendesk account")
    return claims


def installation_id(claims: dict) -> str:
    return str(claims["aud"]).rsplit("/", 1)[-1].removesuffix(".json")


def zaf_agent_id(claims: dict, *, zendesk_url: str) -> int:
    """The agent a verified ZAF token speaks for: ``sub`` is their user URL on our account (§2.5,
    [secondary]; a bare user id is accepted too, the token being signed by Zendesk either way)."""
    pattern = "(?:" + re.escape(zendesk_url.rstrip("/") + "/api/v2/users/") + r")?(\d{1,20})(?:\.json)?"
    match = re.fullmatch(pattern, str(claims.get("sub") or ""))
    if not match:
        raise SignatureError("the app token names no agent of this Zendesk account")
    return int(match.group(1))


def delivery_digest(*, signature: str, timestamp: str, body: bytes) -> str:
    """SHA-256 over what a webhook signature covers (and the signature): a replay of a captured
    delivery has the same digest whatever unsigned headers it is given."""
    digest = hashlib.sha256()
    for part in (signature.encode("utf-8", "replace"), timestamp.encode("utf-8", "replace"), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def callout_signature(*, secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    """The Named Credential callout signature: base64(HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nBODY))."""
    message = f"{method.upper()}\n{path}\n{timestamp}\n".encode() + body
    return base64.b64encode(hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()).decode()


def check_callout(*, secret: str, method: str, path: str, timestamp: str | None, signature: str | None,
                  body: bytes, now: datetime) -> None:
    """Raise SignatureError unless a Salesforce callout is signed with the shared secret and recent.

    The timestamp (Unix seconds, a plain integer) is inside the signed message, so a replay outside
    the window fails and one inside it is caught by the event id dedupe.
    """
    if not timestamp or not signature:
        raise SignatureError("missing X-Connector-Timestamp or X-Connector-Signature header")
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureError("X-Connector-Timestamp must be whole Unix seconds")
    sent = int(timestamp)
    expected = callout_signature(secret=secret, method=method, path=path, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace")):
        raise SignatureError("callout signature does not match")
    if abs(now.timestamp() - sent) > REPLAY_WINDOW_S:
        raise SignatureError("callout timestamp is outside the replay window")


def check_canvas(signed_request: str, *, consumer_secret: str, now: datetime) -> dict:
    """Verify a Canvas signed request: base64(HMAC-SHA256(secret, base64 payload)) "." base64 payload.

    Salesforce signs with the standard base64 alphabet; the URL-safe one is accepted too (§5.1). The
    request carries no nonce: a captured one is refused once its ``issuedAt`` is five minutes old.
    """
    signature, dot, payload = (signed_request or "").partition(".")
    if not dot or not signature or not payload:
        raise SignatureError("not a Canvas signed request")
    expected = hmac.new(consumer_secret.encode("utf-8"), payload.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = base64.b64decode(_standard(signature), validate=True)
    except (ValueError, TypeError):
        raise SignatureError("unreadable Canvas signed request") from None
    if not hmac.compare_digest(given, expected):  # before the payload is decoded: nothing unsigned is parsed
        raise SignatureError("Canvas signature does not match")
    try:
        document = json.loads(base64.b64decode(_standard(payload), validate=True))
    except (ValueError, TypeError, RecursionError):
        raise SignatureError("unreadable Canvas signed request") from None
    if not isinstance(document, dict) or document.get("algorithm", "HMACSHA256") != "HMACSHA256":
        raise SignatureError("unsupported Canvas signing algorithm")
    _check_issued_at(document.get("issuedAt"), now=now)
    return document


def _check_issued_at(issued: object, *, now: datetime) -> None:
    """``issuedAt`` is Unix seconds at the top level of the request (reference §5.1); a value in
    milliseconds is read as such, since Salesforce documents the field only as "for internal use"."""
    if isinstance(issued, bool) or not isinstance(issued, int):
        raise SignatureError("the Canvas signed request has no issuedAt time")
    seconds = issued / 1000 if issued > 10**11 else issued
    age = now.timestamp() - seconds
    if age > CANVAS_MAX_AGE_S or age < -CANVAS_SKEW_S:
        raise SignatureError("the Canvas signed request is too old (or from the future); reload the page")


def _standard(text: str) -> str:
    return text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
