// Reads the ticket through the JSON API and renders it with textContent
// only (never HTML), refreshing until the ticket is closed.
"use strict";
(function () {
  const id = decodeURIComponent(location.pathname.split("/").pop());
  const token = new URLSearchParams(location.search).get("token") || "";
  const labels = {
    received: "Received — we are opening your ticket.",
    new: "Received — we are opening your ticket.",
    open: "Open — we are working on it.",
    escalated: "With our team — a person will get back to you.",
    human: "With our team — a person is handling it.",
    resolved: "Resolved — reply if you need more help.",
    closed: "Closed.",
  };
  document.getElementById("ticket-id").textContent = id;

  function line(entry) {
    const item = document.createElement("li");
    item.className = entry.from === "customer" ? "customer" : "reply";
    const from = document.createElement("span");
    from.className = "from";
    const who = entry.from === "customer" ? "You" : entry.from === "agent" ? "Support agent" : "Support";
    from.textContent = who + " · " + new Date(entry.at_unix_ms).toLocaleString();
    item.append(from, document.createTextNode(entry.text));
    return item;
  }

  async function refresh() {
    let done = false;
    try {
      const response = await fetch("/api/tickets/" + encodeURIComponent(id) + "?token=" + encodeURIComponent(token), {
        headers: { accept: "application/json" },
      });
      const answer = await response.json();
      const state = document.getElementById("state");
      if (!response.ok) {
        state.textContent = answer.message || "This ticket link is not valid.";
        return;
      }
      const status = answer.pending ? "received" : answer.ticket.status;
      state.textContent = labels[status] || status;
      state.dataset.status = status;
      const due = answer.ticket && answer.ticket.first_response_due_unix_ms;
      document.getElementById("expected").textContent = due
        ? "Expected first response by " + new Date(due).toLocaleString() + "."
        : "";
      const list = document.getElementById("conversation");
      list.replaceChildren(...answer.transcript.map(line));
      done = status === "closed";
    } catch (_) {
      // A failed refresh is retried on the next tick.
    }
    if (!done) setTimeout(refresh, 2000);
  }
  refresh();
})();
