"""The ``aep-connector`` command line."""
from __future__ import annotations

import json
import os

import click

from connector import errors
from connector.clikit import EXIT_FAILURE, EXIT_NOT_FOUND, fail, guarded, runtime
from connector.providers import all_providers

_fail, _runtime, _guarded = fail, runtime, guarded


@click.group()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default from CONNECTOR_LOG_LEVEL).")
def main(log_level: str | None) -> None:
    """AEP Real-Time Customer Profile for agents in Zendesk and Salesforce."""

    from connector.logs import setup

    # One-shot commands print their result; their logs show only errors unless asked for more.
    setup(log_level or os.environ.get("CONNECTOR_LOG_LEVEL") or "ERROR")
    click.get_current_context().obj = {"log_level": log_level}


def _service_logs() -> None:
    """Long-running processes (serve, worker) log at INFO unless told otherwise."""
    from connector.logs import setup

    explicit = (click.get_current_context().find_root().obj or {}).get("log_level")
    setup(explicit or os.environ.get("CONNECTOR_LOG_LEVEL") or "INFO")


@main.command()
@click.option("--namespace", "-n", required=True, help="AEP identity namespace, e.g. Email, CRMID, Phone_E.164.")
@click.option("--id", "value", required=True, help="The identity value.")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON (same as the lookup API).")
@click.option("--locale", "locale", default="en", show_default=True,
              help="Language and formats of the card (en, fr, fr_CA…); an unknown locale falls back to English.")
def lookup(namespace: str, value: str, as_json: bool, locale: str) -> None:
    """Look up one profile through the configured AEP and print the agent card."""
    from connector.i18n import lang_for
    from connector.textcard import render

    def action() -> int:
        runtime = _runtime()
        lang = lang_for(locale)
        card = runtime.lookup.by_identity(namespace, value, lang=lang)
        data = card.to_dict()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else render(data, lang=lang))
        return 0 if card.status == "found" else EXIT_NOT_FOUND

    _guarded(action)


@main.command()
def check() -> None:
    """Validate settings and the mapping manifest, then check each configured service."""
    from connector.checks import run_checks

    _guarded(lambda: run_checks(_runtime(), echo=click.echo))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web process (production WSGI server)."""
    from waitress import serve as waitress_serve

    from connector import create_app
    from connector.web import MAX_BODY_BYTES, MAX_HEADER_BYTES

    _service_logs()
    runtime = _runtime()
    runtime.warm_in_background()
    runtime.start_workers()
    app = create_app(runtime=runtime)
    click.echo(f"aep-connector listening on http://{host}:{port}", err=True)
    waitress_serve(app, host=host, port=port, threads=runtime.settings.web_threads, ident="aep-connector",
                   max_request_body_size=MAX_BODY_BYTES, max_request_header_size=MAX_HEADER_BYTES)


@main.command()
def worker() -> None:
    """Run queue consumer threads (CONNECTOR_WORKER_THREADS, at least 1) until SIGINT/SIGTERM."""
    import signal
    import threading

    _service_logs()
    runtime = _runtime()
    runtime.warm()
    runtime.queue.start(threads=max(1, runtime.settings.worker_threads))
    runtime.queue.sweep()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo(f"aep-connector worker running with {max(1, runtime.settings.worker_threads)} thread(s)", err=True)
    stop.wait()
    runtime.close()


@main.group()
def jobs() -> None:
    """Enrichment jobs: list them, replay dead letters."""


@jobs.command("list")
@click.option("--status", type=click.Choice(["pending", "running", "done", "dead"]), default=None)
@click.option("--limit", default=50, show_default=True)
def jobs_list(status: str | None, limit: int) -> None:
    def action() -> int:
        rows = _runtime().store.list_jobs(status=status, limit=limit)
        for row in rows:
            click.echo(f"{row.record_key:<28} {row.status:<8} attempts={row.attempts} outcome={row.outcome or '-'} "
                       f"updated={row.updated_at:%Y-%m-%d %H:%M:%S} {row.last_error or ''}".rstrip())
        if not rows:
            click.echo("no jobs")
        return 0

    _guarded(action)


@jobs.command("retry")
@click.argument("keys", nargs=-1)
@click.option("--all-dead", is_flag=True, help="Replay every dead letter.")
def jobs_retry(keys: tuple[str, ...], all_dead: bool) -> None:
    """Put dead (or done) jobs back on the queue, e.g. `jobs retry zendesk:ticket:42`."""
    def action() -> int:
        runtime = _runtime()
        wanted = list(keys) + ([r.record_key for r in runtime.store.list_jobs(status="dead", limit=10_000)]
                               if all_dead else [])
        if not wanted:
            raise errors.PayloadError("name job keys or pass --all-dead")
        missing = [k for k in wanted if not runtime.store.requeue(k)]
        for key in wanted:
            if key not in missing:
                runtime.queue.enqueue(key)
        click.echo(f"requeued {len(wanted) - len(missing)} job(s)")
        if missing:
            raise errors.NotFound(f"not dead or done (or unknown): {', '.join(missing)}")
        return 0

    _guarded(action)


@main.command()
@click.option("--namespace", "-n", required=True, help="AEP identity namespace, e.g. Email, CRMID.")
@click.option("--id", "value", required=True, help="The identity value.")
@click.option("--clear-crm", is_flag=True, help="Also blank the CRM fields the connector wrote for this person.")
def forget(namespace: str, value: str, clear_crm: bool) -> None:
    """Privacy request: forget a person's cached profile and audit data (and, with --clear-crm, CRM fields)."""
    from connector.services.privacy import forget as forget_person

    def action() -> int:
        rt = _runtime()
        report = forget_person(lookup=rt.lookup, store=rt.store, namespace=namespace, value=value,
                               clear_crm=clear_crm, providers=rt.providers)
        if not report.profile_found and not report.recorded:
            click.echo("no AEP profile for this identity and nothing recorded for it: nothing was written for it")
            return 0
        if not report.profile_found:
            click.echo("no AEP profile for this identity any more; forgetting what the connector recorded")
        click.echo(f"audit rows forgotten: {report.audit_rows}; CRM fields cleared: {len(report.cleared)}; "
                   f"identities of the person recorded: {report.identities}")
        for item in report.cleared:
            click.echo(f"  cleared {item}")
        for item in report.kept:
            click.echo(f"  kept    {item} (changed since, or not removable through the API)")
        return 0

    _guarded(action)


@main.command()
@click.argument("record")
@click.option("--dry-run", is_flag=True, help="Print the diff the write would make; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON.")
def enrich(record: str, dry_run: bool, as_json: bool) -> None:
    """Enrich one record now, e.g. `enrich zendesk:ticket:42` or `enrich --dry-run salesforce:Case:500…`."""
    from connector.services.preview import Previews, parse_record
    from connector.textdiff import render_diff

    def action() -> int:
        key = parse_record(record)  # a typo fails before anything starts
        rt = _runtime()
        if dry_run:
            preview = Previews(jobs=rt.jobs, secret=rt.settings.session_secret or "dry-run").preview(key)
            click.echo(json.dumps(preview.to_dict(), indent=2, ensure_ascii=False, default=str) if as_json
                       else render_diff(preview.to_dict()))
            return 0
        rt.store.accept(delivery_key=f"cli:{key}:{os.urandom(8).hex()}", record_key=str(key), provider=key.provider,
                        rerun=True)
        outcome = rt.jobs.run(str(key))
        click.echo(json.dumps({"record": record, "outcome": outcome}) if as_json else f"{record}: {outcome}")
        return 0 if outcome not in ("dead", "retry") else EXIT_FAILURE

    _guarded(action)


@main.command()
def purge() -> None:
    """Retention: drop audit rows, finished jobs, dead letters and delivery ids past CONNECTOR_RETENTION_DAYS."""
    from datetime import timedelta

    def action() -> int:
        rt = _runtime()
        counts = rt.store.purge(older_than=timedelta(days=rt.settings.retention_days))
        click.echo(", ".join(f"{name}: {count} removed" for name, count in counts.items()))
        return 0

    _guarded(action)


@main.group()
def audit() -> None:
    """The audit ledger: who looked at whose profile."""


@audit.command("views")
@click.option("--agent", "agent_id", default=None, help="A Zendesk agent's user id.")
@click.option("--record", "record_key", default=None, help="A record key, e.g. zendesk:ticket:42 or zendesk:user:7.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_views(agent_id: str | None, record_key: str | None, limit: int, as_json: bool) -> None:
    """Card views, newest first: time, agent, record and AEP profile id (never an identity value)."""
    def action() -> int:
        if not agent_id and not record_key:
            raise errors.PayloadError("name an agent (--agent ID) or a record (--record KEY)")
        rows = _runtime().store.views.list(agent_id=agent_id, record_key=record_key, limit=limit)
        for row in rows:
            if as_json:
                click.echo(json.dumps({"at": row.at.isoformat(), "provider": row.provider, "agent": row.agent_id,
                                       "record": row.record_key, "profile_id": row.profile_id}))
            else:
                click.echo(f"{row.at:%Y-%m-%d %H:%M:%S}  {row.provider:<8} agent={row.agent_id:<10} "
                           f"{row.record_key:<28} profile={row.profile_id or '-'}")
        if not rows and not as_json:
            click.echo("no card views")
        return 0

    _guarded(action)


@main.command()
@click.option("--port", default=None, type=int,
              help="Port of the connector [default: 8080, or a free one when 8080 is taken].")
def demo(port: int | None) -> None:
    """Start the AEP emulator and the connector on localhost with seed data; Ctrl-C stops."""
    from connector.demo import DEFAULT_PORT, run_demo

    _guarded(lambda: run_demo(port=DEFAULT_PORT if port is None else port, echo=click.echo,
                              any_port_if_taken=port is None))



for _provider in all_providers():  # each CRM's own group: `aep-connector zendesk install`, `… salesforce backfill`
    _commands = _provider.commands()
    if _commands is not None:
        main.add_command(_commands, _provider.name)


if __name__ == "__main__":
    main()
