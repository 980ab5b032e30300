// The Temporal Web UI as the agents' desk, in Debian's headless Chromium:
// the escalated view with the ticket columns (installed from
// docs/desk-views.json as `steward desk`'s snippet does), a ticket page
// with its card and named timers and activities, then "Send an Update"
// with an empty reply, whose refusal by the validator must show in the
// dialog at once. Arguments: UI base URL, workflow id, ticket number, and
// optionally a folder to save the screenshots in (the README's pictures).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const [ui, workflowId, ticketNumber, shots] = process.argv.slice(2);
const desk = JSON.parse(readFileSync(new URL("../../docs/desk-views.json", import.meta.url)));
const browser = await chromium.launch({
  executablePath: process.env.STEWARD_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const shot = async (page, name, fullPage = false) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage });
};
// The UI renders markdown (the card) in a sandboxed frame of its own.
const inAnyFrame = async (page, text, timeout = 30000) => {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    for (const frame of page.frames()) {
      if (await frame.getByText(text).count().catch(() => 0)) return;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no frame shows ${JSON.stringify(text)}`);
};
let current; // the page, for a picture of what the UI showed on failure
const visible = (page, text) => page.getByText(text, { exact: false }).filter({ visible: true }).first();
try {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  // Where UI 2.54 keeps saved views and columns (what `steward desk` prints).
  await context.addInitScript((desk) => {
    const views = desk.views.map((v) => ({ id: v.id, name: v.name, type: "user",
      query: v.query.replaceAll("{agent}", "sam") }));
    const columns = desk.columns.map((label, i) => ({ label, pinned: i < 2 }));
    localStorage.setItem("saved-workflow-queries", JSON.stringify({ [desk.namespace]: views }));
    localStorage.setItem("namespace-workflow-table-columns", JSON.stringify({ [desk.namespace]: columns }));
  }, desk);
  const page = await context.newPage();
  current = page;

  // The "Escalated" view: the ticket is listed with its number and reason.
  const escalated = desk.views.find((v) => v.id === "steward-escalated");
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(escalated.query)}`);
  await visible(page, ticketNumber).waitFor({ timeout: 30000 });
  for (const column of ["TicketId", "EscalationReason", "SlaDeadline", "TicketOwner"]) {
    await page.locator(`th:has-text("${column}")`).first().waitFor({ timeout: 10000 });
  }
  await visible(page, "refund").waitFor({ timeout: 10000 });
  await shot(page, "temporal-ui-escalated-tickets");

  // The ticket page opens on the timeline: timers named by the deadline
  // they wait for, activities by what they do for this ticket.
  await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  await visible(page, "acknowledgement warning — tier 1, ").waitFor({ timeout: 30000 });
  await visible(page, "escalate to humans, tier 1: refund").waitFor({ timeout: 10000 });
  await shot(page, "temporal-ui-named-steps");

  // The card (current details) says who, what, why, when and how.
  await page.getByRole("tab", { name: "User Metadata" }).click();
  for (const text of [`${ticketNumber} · WhatsApp · Ana L.`, "waiting for a human",
    "Escalated because", "human acknowledgement — tier 1", "I was charged twice"]) {
    await inAnyFrame(page, text);
  }
  await shot(page, "temporal-ui-ticket-card", true);

  // An agent sends `agent_reply` with nothing to say.
  await page.getByRole("button", { name: "More Actions" }).click();
  await page.locator(':text("Send an Update"):visible').first().click();
  await page.locator("#update-name:visible").fill("agent_reply");
  await page.locator('[contenteditable="true"]:visible').last().click();
  await page.keyboard.type('{"agent": "sam", "text": " "}');
  // The JSON editor commits its text when it loses focus.
  await page.locator("#update-name:visible").click();
  const answered = page.waitForResponse((r) => r.url().includes("/update/agent_reply"));
  await page.locator('button:has-text("Submit"):visible').first().click();
  const body = await (await answered).json();
  assert.equal(body.outcome?.failure?.message, "reply text is empty", JSON.stringify(body));
  await page.locator(':text("reply text is empty"):visible').waitFor({ timeout: 10000 });
  await shot(page, "temporal-ui-update-refused");
  console.log("the desk shows the ticket, its card and named steps, and the refusal");
} catch (err) {
  const picture = `${process.env.STEWARD_UI_FAILURE_DIR || "/tmp"}/temporal-ui-failure.png`;
  await current?.screenshot({ path: picture, fullPage: true }).catch(() => {});
  console.error(`what the UI showed: ${picture}`);
  throw err;
} finally {
  await browser.close();
}
