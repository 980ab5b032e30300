// Drives Debian's headless Chromium through the support form and the
// status page of a running gateway (base URL as the first argument):
// inline validation errors, a submit that lands on the status page, and
// the bot's reply appearing there. Exits non-zero with the reason.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const base = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.STEWARD_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];
try {
  const page = await browser.newPage();
  // CSP violations and script errors surface as console errors.
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));

  await page.goto(base + "/support");
  assert.equal(await page.title(), "Contact support");

  // Nothing filled in: every required field says so, inline, and the
  // first one gets focus.
  await page.click("#submit");
  assert.equal(await page.textContent("#name-error"), "Your name is required.");
  assert.equal(await page.textContent("#email-error"), "Email is required.");
  assert.equal(await page.getAttribute("#email", "aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement.id), "name");

  // A bad address and a short message, the rest fine.
  await page.fill("#name", "Ana Lima");
  await page.fill("#email", "ana@");
  await page.selectOption("#category", "account");
  await page.fill("#subject", "Password reset");
  await page.fill("#message", "Help");
  await page.click("#submit");
  assert.match(await page.textContent("#email-error"), /valid email address/);
  assert.match(await page.textContent("#message-error"), /at least 10 characters/);
  assert.equal(await page.textContent("#name-error"), "");

  // Fixed: submitted, and the browser lands on the ticket's status page.
  await page.fill("#email", "ana.lima@example.com");
  await page.fill("#message", "How do I reset my password? I forgot it.");
  await Promise.all([page.waitForURL(/\/support\/tickets\/W-[0-9A-F]{10}\?token=/), page.click("#submit")]);
  const ticket = await page.textContent("#ticket-id");
  assert.match(ticket, /^W-[0-9A-F]{10}$/);

  // The bot's reply appears in the conversation without a reload.
  await page.waitForSelector("#conversation li.reply", { timeout: 90_000 });
  const reply = await page.textContent("#conversation li.reply");
  assert.match(reply, /Forgot password/i, reply);
  const customer = await page.textContent("#conversation li.customer");
  assert.match(customer, /How do I reset my password/);
  assert.deepEqual(problems, [], "no console errors or CSP violations");
  console.log(`browser test passed: ${ticket}`);
} finally {
  await browser.close();
}
