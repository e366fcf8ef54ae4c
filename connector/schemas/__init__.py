"""Marshmallow schemas: provider payloads (unknown=EXCLUDE) and our manifests (unknown=RAISE)."""
