"""One error tree for the whole connector.

Every error carries a stable ``code`` (the ``error`` key of JSON error bodies), an HTTP ``status``
for the web layer and a message that is safe to show and to log: no secret, identity value or
profile value ever goes into a message.
"""
from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message}


class ConfigError(ConnectorError):
    """Settings or manifest are invalid; raised at start-up, never per request."""

    code = "config_error"


class ManifestError(ConfigError):
    code = "invalid_manifest"


class PayloadError(ConnectorError):
    """The caller sent something we cannot use."""

    code = "bad_request"
    status = 400


class PayloadTooLarge(PayloadError):
    code = "payload_too_large"
    status = 413


class UnknownNamespace(PayloadError):
    code = "unknown_namespace"


class InvalidIdentity(PayloadError):
    code = "invalid_identity"


class AuthError(ConnectorError):
    code = "unauthorized"
    status = 401


class SignatureError(AuthError):
    code = "invalid_signature"


class Forbidden(ConnectorError):
    """Authenticated, but not allowed to see or do this."""

    code = "forbidden"
    status = 403


class TooManyRequests(ConnectorError):
    """A caller's own budget is spent (not an upstream limit); ``retry_after`` in seconds."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class WriteInProgress(ConnectorError):
    """Another writer (the queued job or another confirmation) is writing this record right now."""

    code = "write_in_progress"
    status = 409


class ScopeError(AuthError):
    """The API key is valid but not for this (e.g. a `write` key asking for a profile)."""

    code = "insufficient_scope"
    status = 403


class NotFound(ConnectorError):
    code = "not_found"
    status = 404


class UpstreamError(ConnectorError):
    """A remote system (AEP, Zendesk, Salesforce) failed us.

    ``retryable`` tells workers whether trying again later can help; ``retry_after`` is the
    delay in seconds the remote asked for, if any.
    """

    code = "upstream_error"
    status = 502
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        service: str,
        upstream_status: int | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.service = service
        self.upstream_status = upstream_status
        self.retry_after = retry_after


class UpstreamUnavailable(UpstreamError):
    """Timeouts, refused connections and 5xx: worth retrying later."""

    code = "upstream_unavailable"
    status = 503
    retryable = True


class UpstreamRateLimited(UpstreamUnavailable):
    code = "upstream_rate_limited"


class UpstreamConflict(UpstreamUnavailable):
    """409: a concurrent update won; try again shortly."""

    code = "upstream_conflict"


class UpstreamAuthError(UpstreamError):
    """The remote rejected our credentials: an operator must act."""

    code = "upstream_auth_failed"


class UpstreamForbidden(UpstreamError):
    """The credential lacks a permission or licence for this call."""

    code = "upstream_forbidden"


class NamespaceUnknown(UpstreamError):
    """AEP refuses an identity namespace its sandbox does not define: that identity cannot match."""

    code = "namespace_unknown"
    status = 422


class ProfileNotServable(UpstreamError):
    """AEP refuses to serve the profile (identity graph above its guardrail)."""

    code = "profile_not_servable"
    status = 422
