// End-to-end: the console's Resume page and the public status page in headless chromium
// against a real `talat serve`. An operator declares an outage, walks deposits, cancel-only,
// post-only and open, each typed to confirm; the status page (Thai and English, no JavaScript
// needed) follows every step. Withdrawals are refused with the reason until a reconciliation
// passes. The file is named to run last (`--test-concurrency=1` runs files in name order): it
// leaves withdrawals suspended, which the other files' withdrawals would trip over.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, browser, shot, signIn } from "./lib.mjs";

const operator = await browser();
const o = operator.page;
after(async () => { await operator.close(); });

async function take(step, minutes) {
  await o.getByRole("heading", { name: `Next: ${step}` }).waitFor();
  if (minutes !== undefined) await o.getByLabel("Cancel-only lasts at least (minutes)").fill(String(minutes));
  await o.getByLabel(`Type “${step}” to confirm`).fill(step);
  await o.getByLabel("Reason").fill("e2e outage drill");
  await o.getByRole("button", { name: `Take step: ${step}` }).click();
}

test("an operator resumes step by step and the status page follows", async () => {
  await signIn(o, "operator");
  await o.goto(`${BASE}/console#/resume`);
  await o.getByRole("heading", { name: "Resume after an outage" }).waitFor();

  // A typo confirms nothing.
  await o.getByLabel("Type “begin” to confirm").fill("begn");
  await o.getByLabel("Reason").fill("e2e");
  await o.getByRole("button", { name: "Take step: begin" }).click();
  await o.getByText("confirm by sending").waitFor();

  await take("begin", 0);
  await o.getByText("Step begin taken.").waitFor();
  const page = await o.context().newPage();
  await page.goto(`${BASE}/status?lang=th`);
  await page.getByText("กำลังกลับมาให้บริการหลังเหตุขัดข้อง").first().waitFor();
  assert.equal(await page.locator("#component-trading-btc_thb [data-status]").getAttribute("data-status"), "under_maintenance");

  for (const step of ["deposits", "cancel-only", "post-only", "open"]) {
    await take(step);
    await o.getByText(`Step ${step} taken.`).waitFor();
  }
  await page.goto(`${BASE}/status?lang=en`);
  assert.equal(await page.locator("#component-trading-btc_thb [data-status]").getAttribute("data-status"), "operational");
  await page.getByText("Trading is open.").first().waitFor();
  await shot(page, "status-page");

  await take("withdrawals");
  await o.getByText("withdrawals wait for a reconciliation").waitFor();
  await o.locator("[data-step=open]").getByText("✓").waitFor();
  await shot(o, "console-resume");
  await page.close();
});

test("no request left 127.0.0.1 and no page error", () => {
  assert.deepEqual(operator.offsite, []);
  assert.deepEqual(operator.errors, []);
});
