"""``aep-connector check``: settings, manifest, then every configured remote service."""
from __future__ import annotations

from collections.abc import Callable

from connector import errors
from connector.core.catalogfit import mapping_problems
from connector.core.writecheck import rule_problems
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
    zendesk = runtime.zendesk
    if zendesk is not None:
        steps += [("Zendesk API", lambda: f"authenticated as user {zendesk.me()}"),
                  ("Zendesk webhook secret", lambda: _webhook_secret(runtime))]
    for label, step in steps:
        try:
            echo(f"{OK} {label}: {step()}")
        except errors.ConnectorError as exc:
            failures += 1
            echo(f"{FAIL} {label}: {exc.message}")
    failures += salesforce_checks(runtime, echo=echo)
    failures += _zendesk_fields(runtime, echo=echo)
    for name, configured in (("Zendesk", s.zendesk_url), ("Salesforce", s.salesforce_instance_url)):
        if not configured:
            echo(f"{INFO} {name}: not configured")
    echo("all checks passed" if not failures else f"{failures} check(s) failed")
    return 0 if not failures else 1


def _webhook_secret(runtime: Runtime) -> str:
    if not runtime.zendesk_webhook_secret():
        raise errors.ConfigError("none: set CONNECTOR_ZENDESK_WEBHOOK_SECRET or run `aep-connector zendesk install`")
    return "configured"


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


def _zendesk_fields(runtime: Runtime, *, echo: Callable[[str], None]) -> int:
    """Each Zendesk write rule against the live field metadata: one line per problem (issue 10)."""
    spec = runtime.manifest.writeback.get("zendesk")
    if runtime.zendesk is None or spec is None:
        return 0
    label = "Zendesk fields"
    try:
        problems = mapping_problems(runtime.manifest, spec.rules, runtime.zendesk.field_catalog(refresh=True))
    except errors.ConnectorError as exc:
        echo(f"{FAIL} {label}: {exc.message}")
        return 1
    for problem in problems:
        echo(f"{FAIL} {label}: writeback.zendesk {problem}")
    if not problems:
        echo(f"{OK} {label}: every mapped ticket field id and user field key exists and takes its value")
    return len(problems)


def _namespaces(runtime: Runtime) -> str:
    known = {str(n.get("code", "")).lower() for n in runtime.aep.list_namespaces()}
    wanted = list(runtime.manifest.identity.namespaces)
    missing = [code for code in wanted if code.lower() not in known]
    if missing:
        raise errors.ConnectorError(f"not defined in AEP sandbox {runtime.settings.aep_sandbox}: "
                                    f"{', '.join(missing)}")
    return f"all {len(wanted)} manifest namespaces exist"


def salesforce_checks(runtime: Runtime, *, echo: Callable[[str], None]) -> int:
    """The manifest's Salesforce write-back against the org's describe: one line per problem, naming the rule."""
    salesforce, spec = runtime.salesforce, runtime.manifest.writeback.get("salesforce")
    if salesforce is None or spec is None:
        return 0
    failures = 0
    objects = sorted({r.target.split(".", 1)[0] for r in spec.rules})
    for obj in objects:
        rules = [r for r in spec.rules if r.target.split(".", 1)[0] == obj]
        try:
            fields = salesforce.field_metadata(obj)
        except errors.ConnectorError as exc:
            echo(f"{FAIL} writeback.salesforce {obj}.*: {exc.message}")
            failures += 1
            continue
        problems = [(rule, problem) for rule in rules
                    for problem in rule_problems(runtime.manifest, rule, fields, crm="Salesforce")]
        for rule, problem in problems:
            echo(f"{FAIL} writeback.salesforce {rule.target} ({rule.value}): {problem}")
        failures += len(problems)
        if not problems:
            echo(f"{OK} writeback.salesforce {obj}: {len(rules)} field(s) exist, are updateable and fit their values")
    return failures
