"""Identity candidates: from a CRM contact to ordered, normalised AEP identities.

Rules (reference/aep.md §4.2, §11.6): e-mails are trimmed and lower-cased, hashed namespaces hash
that normal form with SHA-256 (hex, lower-case), phones become E.164 with a default region, ECIDs
are 38 digits, and no identity value is longer than 1,024 characters (§3).
"""
from __future__ import annotations

import hashlib
import re

import phonenumbers

from connector.core.lang import ENGLISH, N_, Lang
from connector.core.manifest import IdentitySpec
from connector.core.models import Attempt, Candidate, Contact, Identity

MAX_IDENTITY_LENGTH = 1024
MISSING_REASONS = {"email": N_("the contact has no email"), "phone": N_("the contact has no phone"),
                   "crm_id": N_("the contact has no crm id"), "external_id": N_("the contact has no external id")}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_ECID = re.compile(r"^\d{38}$")


class IdentityValueError(ValueError):
    """The value cannot be an identity of that namespace; the message is safe to show.

    ``template`` and ``params`` let a surface show it in the agent's language."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params

    def translated(self, lang: Lang) -> str:
        return lang._(self.template, **self.params)


def normalise(kind: str, value: str, *, region: str) -> str:
    """Return the lookup form of ``value`` for a namespace of ``kind``."""
    text = (value or "").strip()
    if not text:
        raise IdentityValueError(N_("the identity value is empty"))
    if len(text) > MAX_IDENTITY_LENGTH:
        raise IdentityValueError(N_("identity values are at most %(limit)s characters"),
                                 limit=MAX_IDENTITY_LENGTH)
    if kind == "email":
        return _email(text)
    if kind == "email_sha256":
        return text.lower() if _SHA256.match(text) else _sha256(_email(text))
    if kind == "phone":
        return _e164(text, region)
    if kind == "phone_sha256":
        return text.lower() if _SHA256.match(text) else _sha256(_e164(text, region))
    if kind == "ecid":
        if not _ECID.match(text):
            raise IdentityValueError(N_("an ECID is exactly 38 digits"))
        return text
    return text


def mask(kind: str, value: str) -> str:
    """A recognisable but non-identifying form of a value, for explanations and audit."""
    if kind == "email" and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind in {"email_sha256", "phone_sha256"}:
        return f"{value[:6]}…"
    if kind == "phone":
        return f"{value[:3]}******{value[-2:]}" if len(value) > 6 else "***"
    if len(value) <= 4:
        return "***"
    return f"{value[:2]}***{value[-2:]}"


def candidates(contact: Contact, spec: IdentitySpec, *,
               lang: Lang = ENGLISH) -> tuple[list[Candidate], list[Attempt]]:
    """Ordered candidates per the manifest, plus an Attempt for each rule that gave none."""
    found: list[Candidate] = []
    skipped: list[Attempt] = []
    seen: set[Identity] = set()
    for rule in spec.candidates:
        kind = spec.kind_of(rule.namespace) or "plain"
        raw = _source_value(contact, rule.source)
        if not raw or not str(raw).strip():
            skipped.append(Attempt(rule.namespace, rule.source, None, "missing", _missing(rule.source, lang)))
            continue
        try:
            value = normalise(kind, str(raw), region=spec.default_region)
        except IdentityValueError as exc:
            skipped.append(Attempt(rule.namespace, rule.source, None, "invalid", exc.translated(lang)))
            continue
        identity = Identity(rule.namespace, value)
        if identity in seen:
            continue
        seen.add(identity)
        found.append(Candidate(identity, rule.source, rule.confidence, mask(kind, value)))
    return found, skipped


def digest(identity: Identity) -> str:
    """SHA-256 of a normalised identity: how the cache and the audit ledger name it without holding it."""
    return hashlib.sha256(f"{identity.namespace.lower()}\0{identity.value}".encode()).hexdigest()


def direct_candidate(namespace: str, value: str, spec: IdentitySpec) -> Candidate:
    """A single candidate for an explicit namespace + value (lookup API and CLI)."""
    code = spec.canonical(namespace)
    if code is None:
        raise KeyError(namespace)
    kind = spec.namespaces[code]
    normal = normalise(kind, value, region=spec.default_region)
    return Candidate(Identity(code, normal), "request", 1.0, mask(kind, normal))


def _missing(source: str, lang: Lang) -> str:
    if source in MISSING_REASONS:
        return lang._(MISSING_REASONS[source])
    return lang._(N_("the contact has no %(name)s identity"), name=source.split(".", 1)[-1])


def _source_value(contact: Contact, source: str) -> str | None:
    if source.startswith("identities."):
        wanted = source.split(".", 1)[1].lower()
        return next((v for k, v in contact.identities.items() if k.lower() == wanted), None)
    return getattr(contact, source, None)


def _email(text: str) -> str:
    lowered = text.lower()
    if not _EMAIL.match(lowered):
        raise IdentityValueError(N_("not an e-mail address"))
    return lowered


def _e164(text: str, region: str) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise IdentityValueError(N_("not a phone number")) from None
    if not phonenumbers.is_valid_number(number):
        raise IdentityValueError(N_("not a valid phone number (default region %(region)s)"), region=region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
