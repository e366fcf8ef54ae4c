"""The agent's language on the web surfaces: templates get ``_`` and ``lang``; the sidebar's script
gets its few messages as JSON (it learns the agent's ZAF locale only after the page is loaded)."""
from __future__ import annotations

from flask import Flask, request

from connector.core.lang import ENGLISH, N_, Lang
from connector.i18n import best, lang_for, supported

# Every message sidebar.js shows (the catalog test checks this list against the script's _() calls).
SCRIPT_MESSAGES = (
    N_("Session expired: reload the app."),
    N_("The profile could not be loaded."),
    N_("You do not have access to this customer's profile."),
    N_("Too many profiles opened in a minute: try again shortly."),
    N_("Could not compute the changes."),
    N_("Written to the ticket."),
    N_("Nothing to write: the ticket is up to date."),
    N_("Could not write to the ticket."),
)


def request_lang() -> Lang:
    """The browser's preference (Accept-Language), for a page rendered before the CRM says who the agent is."""
    return best([tag for tag, _quality in request.accept_languages])


def agent_lang(tag: object) -> Lang:
    """The locale a CRM reported for the agent (ZAF ``currentUser.locale``, Salesforce ``LOCALE``…)."""
    return lang_for(tag) if isinstance(tag, str) else ENGLISH


def script_messages() -> dict[str, dict[str, str]]:
    """language → {English message: translation} for the sidebar's script."""
    return {code: {m: lang_for(code)._(m) for m in SCRIPT_MESSAGES} for code in supported()}


def init_app(app: Flask) -> None:
    @app.context_processor
    def english_by_default() -> dict:
        # render_template's own ``lang``/``_`` win over these (Flask keeps explicit context values).
        return {"lang": ENGLISH, "_": ENGLISH._}
