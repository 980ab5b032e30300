// Client-side validation with the server's own rules (the page embeds
// them as JSON), inline errors, and a fetch submit that lands on the
// ticket's status page. Without JavaScript the form posts normally.
"use strict";
(function () {
  const form = document.getElementById("support-form");
  const rules = JSON.parse(document.getElementById("rules").textContent);
  const banner = document.getElementById("form-status");
  const button = document.getElementById("submit");
  const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  function showError(name, message) {
    const input = form.elements[name];
    const slot = document.getElementById(name + "-error");
    if (!input || !slot) return;
    slot.textContent = message || "";
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function check() {
    const errors = {};
    for (const rule of rules) {
      const value = (form.elements[rule.name].value || "").trim();
      const length = Array.from(value).length;
      if (!value) {
        if (rule.required) errors[rule.name] = rule.label + " is required.";
      } else if (length < rule.min) {
        errors[rule.name] = "Please write at least " + rule.min + " characters.";
      } else if (length > rule.max) {
        errors[rule.name] = "Please keep it under " + rule.max + " characters.";
      }
    }
    const email = form.elements.email.value.trim();
    if (email && !errors.email && !emailPattern.test(email)) {
      errors.email = "Please enter a valid email address, like name@example.com.";
    }
    return errors;
  }

  function render(errors) {
    for (const rule of rules) showError(rule.name, errors[rule.name]);
    const first = rules.find((r) => errors[r.name]);
    if (first) form.elements[first.name].focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    banner.hidden = true;
    const errors = check();
    render(errors);
    if (Object.keys(errors).length) return;
    button.disabled = true;
    const body = {};
    for (const element of form.elements) if (element.name) body[element.name] = element.value;
    try {
      const response = await fetch("/api/support/submit", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.status_url) {
        window.location.assign(answer.status_url);
        return;
      }
      if (response.status === 422 && answer.fields) {
        render(answer.fields);
      } else {
        banner.textContent = answer.message || "We could not send your message. Please try again in a moment.";
        banner.hidden = false;
      }
    } catch (_) {
      banner.textContent = "We could not reach the server. Please check your connection and try again.";
      banner.hidden = false;
    }
    button.disabled = false;
  });
})();
