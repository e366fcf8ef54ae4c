"""``aep-connector check``: settings, manifest, then every configured remote service."""
from __future__ import annotations

from collections.abc import Callable

from connector import errors
from connector.providers import all_providers
from connector.runtime import Runtime

OK, FAIL, INFO = "ok  ", "FAIL", "--  "


def run_checks(runtime: Runtime, *, echo: Callable[[str], None]) -> int:
    s = runtime.settings
    echo(f"{OK} settings: valid")
    echo(f"{OK} mapping manifest: {s.mapping}")
    failures = 0
    steps = [
        ("AEP token (IMS)", lambda: _token(runtime)),
        ("AEP merge policy", lambda: _merge_policy(runtime)),
        ("AEP identity namespaces", lambda: _namespaces(runtime)),
        ("AEP audience names", lambda: f"{runtime.aep.preload_segments()} definitions cached"),
    ]
    for label, step in steps:
        try:
            echo(f"{OK} {label}: {step()}")
        except errors.ConnectorError as exc:
            failures += 1
            echo(f"{FAIL} {label}: {exc.message}")
    for provider in all_providers():
        connected = runtime.providers.get(provider.name)
        if connected is None:
            echo(f"{INFO} {provider.title}: not configured")
        else:
            failures += connected.check(echo)
    echo("all checks passed" if not failures else f"{failures} check(s) failed")
    return 0 if not failures else 1


def _token(runtime: Runtime) -> str:
    try:
        runtime.aep.auth.token()
    except errors.UpstreamAuthError as exc:
        if "invalid_scope" in exc.message:  # name the setting to change (reference/aep.md §1.1)
            raise errors.ConfigError(f"CONNECTOR_AEP_SCOPES ({runtime.settings.aep_scopes}) refused: "
                                     f"{exc.message}") from None
        raise
    return f"issued by {runtime.settings.aep_ims_url} for scopes {runtime.settings.aep_scopes}"


def _merge_policy(runtime: Runtime) -> str:
    configured = runtime.settings.aep_merge_policy_id
    if configured and not runtime.aep.merge_policy_exists(configured):
        raise errors.ConfigError(f"CONNECTOR_AEP_MERGE_POLICY_ID {configured}: AEP sandbox "
                                 f"{runtime.settings.aep_sandbox} has no such merge policy")
    return runtime.aep.default_merge_policy_id() or "none: lookups send no mergePolicyId"


def _namespaces(runtime: Runtime) -> str:
    known = {str(n.get("code", "")).lower() for n in runtime.aep.list_namespaces()}
    wanted = list(runtime.manifest.identity.namespaces)
    missing = [code for code in wanted if code.lower() not in known]
    if missing:
        raise errors.ConnectorError(f"not defined in AEP sandbox {runtime.settings.aep_sandbox}: "
                                    f"{', '.join(missing)}")
    return f"all {len(wanted)} manifest namespaces exist"
