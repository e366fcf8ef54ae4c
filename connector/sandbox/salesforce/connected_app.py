"""The emulator's connected app for the OAuth JWT bearer flow: a key pair whose certificate is uploaded
to the app ("Use digital signatures"), and the checks Salesforce makes on an assertion (reference §1.3d):
RS256 signed by that certificate's key, ``iss`` = consumer key, ``sub`` = a pre-authorised user,
``aud`` = the login or test URL, ``exp`` in the future."""
from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


@lru_cache(maxsize=1)
def connected_app_keys() -> tuple[str, str]:
    """(private key PEM for CONNECTOR_SALESFORCE_PRIVATE_KEY, certificate PEM the connected app holds)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aep-connector connected app")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def assertion_problem(assertion: str, *, certificate: str, client_id: str, users: tuple[str, ...]) -> str | None:
    """None when Salesforce would accept the assertion, else why not (for the ``error_description``)."""
    public_key = x509.load_pem_x509_certificate(certificate.encode()).public_key()
    try:
        claims = jwt.decode(assertion, public_key, algorithms=["RS256"],  # type: ignore[arg-type]
                            audience=list(AUDIENCES), options={"require": ["iss", "sub", "aud", "exp"],
                                                               "verify_exp": False})
    except jwt.InvalidAudienceError:
        return "audience is invalid"
    except jwt.PyJWTError:
        return "invalid assertion"
    try:  # simple-salesforce sends exp as a string of digits, which Salesforce accepts
        expired = float(claims["exp"]) <= time.time()
    except (TypeError, ValueError):
        return "invalid assertion"
    if expired:
        return "expired authorization code"
    if claims.get("iss") != client_id:
        return "client identifier invalid"
    if claims.get("sub") not in users:
        return "user hasn't approved this consumer"
    return None
