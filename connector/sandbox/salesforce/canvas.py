"""The Canvas signed request Salesforce POSTs to an app shown on a record page (reference §5.1),
made here for tests and the demo: ``base64(HMAC-SHA256(consumer secret, payload)).payload``."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from connector.sandbox.salesforce.state import AGENT_USER, CLIENT_SECRET, ORG_ID


def canvas_request(record: str, *, org_id: str = ORG_ID, secret: str = CLIENT_SECRET, urlsafe: bool = False,
                   issued_at: object = None, locale: str = "en_US") -> str:
    """A Canvas signed request as Salesforce POSTs it for an app on a record page (reference §5.1)."""
    document = {"algorithm": "HMACSHA256", "issuedAt": int(time.time()) if issued_at is None else issued_at,
                "userId": AGENT_USER,
                "client": {"instanceUrl": "https://acme.my.salesforce.com", "oauthToken": "00D!canvas",
                           "targetOrigin": "https://acme.my.salesforce.com", "refreshToken": None},
                "context": {"user": {"userId": AGENT_USER, "userName": "agent@acme.example", "locale": locale,
                                     "language": locale},
                            "organization": {"organizationId": org_id, "name": "Acme"},
                            "environment": {"displayLocation": "Aura", "parameters": {"recordId": record},
                                            "record": {}}}}
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    payload = encode(json.dumps(document).encode()).decode()
    signature = encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()).decode()
    return f"{signature}.{payload}"
