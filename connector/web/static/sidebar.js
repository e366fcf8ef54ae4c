// Sidebar page: ask ZAF which ticket or user this is (or read the demo's ?ticket_id=), fetch the
// card with the short-lived session the server embedded, and wire Refresh / Write to ticket.
// Only the record's id is sent: the server reads its requester from Zendesk and decides whose
// card it is. Language: the agent's ZAF locale (currentUser.locale; the demo's ?locale=), else the page's.
(function () {
  "use strict";
  var root = document.getElementById("aep-root");
  var target = document.getElementById("aep-card");
  var params = new URLSearchParams(window.location.search);
  var client = null;
  if (window.ZAFClient && params.get("origin") && params.get("app_guid")) {
    client = window.ZAFClient.init();
  }
  var lastTicket = null;
  var messages = JSON.parse(root.dataset.messages || "{}");
  var locale = root.dataset.locale || "en";

  function _(text) {
    var table = messages[String(locale).split(/[-_]/)[0].toLowerCase()] || {};
    return table[text] || text;
  }

  function context() {
    if (!client) {
      locale = params.get("locale") || locale;
      return Promise.resolve({ ticket_id: params.get("ticket_id"), user_id: params.get("user_id"), locale: locale });
    }
    if (root.dataset.location === "user_sidebar") {
      return client.get(["user.id", "currentUser.locale"]).then(function (d) {
        locale = d["currentUser.locale"] || locale;
        return { user_id: d["user.id"], locale: locale };
      });
    }
    return client.get(["ticket.id", "currentUser.locale"]).then(function (d) {
      locale = d["currentUser.locale"] || locale;
      return { ticket_id: d["ticket.id"], locale: locale };
    });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Authorization": "Bearer " + root.dataset.session, "Content-Type": "application/json" },
      body: JSON.stringify(body)
    });
  }

  function status(text) {
    var node = target.querySelector(".aep-status");
    if (node) { node.textContent = text; }
  }

  function message(code) {
    if (code === 401) { return _("Session expired: reload the app."); }
    if (code === 403) { return _("You do not have access to this customer's profile."); }
    if (code === 429) { return _("Too many profiles opened in a minute: try again shortly."); }
    return _("The profile could not be loaded.");
  }

  function load(refresh) {
    target.setAttribute("aria-busy", "true");
    return context().then(function (ctx) {
      lastTicket = ctx.ticket_id;
      ctx.refresh = !!refresh;
      return post(root.dataset.cardUrl, ctx);
    }).then(function (response) {
      return response.text().then(function (html) {
        if (!response.ok) { throw new Error(message(response.status)); }
        target.innerHTML = html;
      });
    }).catch(function (err) {
      target.innerHTML = '<p class="aep-notice"></p>';
      target.querySelector(".aep-notice").textContent = err.message || _("The profile could not be loaded.");
    }).then(function () {
      target.setAttribute("aria-busy", "false");
      if (client) { client.invoke("resize", { width: "100%", height: document.body.scrollHeight + "px" }); }
    });
  }

  target.addEventListener("keydown", function (event) {
    // Escape leaves the review as Cancel does: nothing is written, focus goes back to Write to ticket.
    if (event.key === "Escape" && target.querySelector(".aep-review-slot")) { closeReview(); }
  });

  target.addEventListener("click", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("data-action");
    if (action === "refresh") { load(true); }
    if (action === "enrich") {
      event.target.disabled = true;
      review(event.target.getAttribute("data-ticket") || lastTicket);
    }
    if (action === "confirm") {
      event.target.disabled = true;
      confirmWrite(event.target.getAttribute("data-token"));
    }
    if (action === "cancel") { closeReview(); }
  });

  // "Write to ticket" first shows the diff the write would make; "Confirm" writes exactly that
  // diff (the server answers 409 with the new diff when the profile or the ticket changed since).
  var reviewing = null;

  function showReview(html) {
    var node = target.querySelector(".aep-review-slot");
    if (!node) {
      node = document.createElement("div");
      node.className = "aep-review-slot";
      target.querySelector(".aep-card").appendChild(node);
    }
    node.innerHTML = html;
    var first = node.querySelector("button");
    if (first) { first.focus(); }
  }

  function closeReview() {
    var node = target.querySelector(".aep-review-slot");
    if (node) { node.remove(); }
    var button = target.querySelector('[data-action="enrich"]');
    if (button) { button.disabled = false; button.focus(); }
  }

  function review(ticketId) {
    reviewing = ticketId;
    return post(root.dataset.previewUrl, { ticket_id: ticketId, locale: locale }).then(function (r) {
      if (!r.ok) { throw new Error(); }
      return r.json();
    }).then(function (body) { showReview(body.html); })
      .catch(function () { status(_("Could not compute the changes.")); closeReview(); });
  }

  function confirmWrite(token) {
    return post(root.dataset.enrichUrl, { ticket_id: reviewing, plan_token: token, locale: locale }).then(function (r) {
      return r.json().then(function (body) {
        if (r.status === 409) { showReview(body.html); return; }
        if (!r.ok) { throw new Error(); }
        closeReview();
        status(body.status === "written" ? _("Written to the ticket.") : _("Nothing to write: the ticket is up to date."));
      });
    }).catch(function () { status(_("Could not write to the ticket.")); });
  }

  load(false);
})();
