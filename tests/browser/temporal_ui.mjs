// The Temporal Web UI as an agent uses it, in Debian's headless Chromium:
// the ticket list filtered to escalated tickets, then "Send an Update" with
// an empty reply, whose refusal by the workflow's validator must show in the
// dialog at once. Arguments: UI base URL, workflow id, and optionally a
// folder to save the screenshots in (the README's pictures).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [ui, workflowId, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.STEWARD_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const shot = async (page, name) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png` });
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  // Ops' query: escalated tickets.
  const query = encodeURIComponent("TicketStatus='escalated'");
  await page.goto(`${ui}/namespaces/default/workflows?query=${query}`);
  await page.locator(`a:has-text("${workflowId}"):visible`).first().waitFor({ timeout: 30000 });
  await shot(page, "temporal-ui-escalated-tickets");

  // An agent sends `agent_reply` with nothing to say.
  await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
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
  console.log("the refusal is shown in the update dialog");
} finally {
  await browser.close();
}
