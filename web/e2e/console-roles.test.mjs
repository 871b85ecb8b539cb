// End-to-end: the console fits each role (issue 21) in headless chromium against a real
// `talat serve`. An operator sees the Markets page's halt buttons but no fee or band controls
// (and the server refuses them anyway); support finds an API-only account in the user search
// and opens its picture, with no lock button; an admin proposes inviting a staff member (a bad
// address is refused in the form, nothing sent), cannot approve their own proposal (no button,
// and the server refuses it: four eyes) and withdraws it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, browser, recordWrites, shot, signIn } from "./lib.mjs";

/** A console POST from the page, with the session's CSRF token: `{status, body}`. */
const consolePost = (page, path, body) => page.evaluate(async ({ path, body }) => {
  const me = await fetch("/web/api/console/me").then((r) => r.json());
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "X-CSRF-Token": me.csrf }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
}, { path, body });

test("an operator's Markets page has the halt buttons but no fee or band controls; the server refuses fees all the same", async () => {
  const b = await browser();
  try {
    const p = b.page;
    await signIn(p, "operator");
    await p.goto(`${BASE}/console#/markets`);
    await p.getByRole("button", { name: "Halt BTC_THB" }).waitFor();
    assert.equal(await p.getByRole("button", { name: "Set fees BTC_THB" }).count(), 0);
    assert.equal(await p.getByRole("button", { name: "Set band BTC_THB" }).count(), 0);
    const r = await consolePost(p, "/web/api/console/markets/BTC_THB/fees", { maker_fee_ppm: 1, taker_fee_ppm: 1, reason: "e2e: not allowed" });
    assert.equal(r.status, 403);
    await shot(p, "console-markets-operator");
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("support finds an API-only account and opens its picture, with no lock button", async () => {
  const b = await browser();
  try {
    const p = b.page;
    await signIn(p, "support");
    await p.goto(`${BASE}/console#/users`);
    await p.getByRole("button", { name: "Search" }).click();
    const row = p.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: "API only" }).first();
    await row.waitFor();
    await row.getByRole("button", { name: "Open" }).click();
    await p.getByRole("heading", { name: /\(API only\)/ }).waitFor();
    await p.getByRole("heading", { name: "Balances", exact: true }).waitFor();
    for (const h of ["KYC", "Open orders", "Trades", "Funding", "API keys", "Tickets"]) await p.getByRole("heading", { name: h, exact: true }).waitFor();
    assert.equal(await p.getByRole("button", { name: "Lock" }).count(), 0, "support may not lock");
    await shot(p, "console-user-picture");
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("an admin proposes an invitation, cannot approve it themselves (four eyes), and withdraws it", async () => {
  const b = await browser();
  try {
    const p = b.page;
    await signIn(p, "admin");
    await p.goto(`${BASE}/console#/staff`);
    await p.getByRole("button", { name: "Invite a staff member" }).click();
    const form = p.getByRole("form", { name: "Invite a staff member" });
    const writes = recordWrites(p);
    await form.getByLabel("Email").fill("not an address");
    await form.getByLabel("Reason").fill("e2e: new reviewer");
    await form.getByRole("button", { name: "Propose invitation" }).click();
    await form.getByText("Enter a valid email address.").waitFor();
    assert.deepEqual(writes, []);
    const invited = `e2e-staff-${Date.now()}@talat.local`;
    await form.getByLabel("Email").fill(invited);
    await form.getByLabel("Role").selectOption("kyc");
    await form.getByRole("button", { name: "Propose invitation" }).click();
    await p.getByText("Invitation proposed: another admin must approve it.").waitFor();
    const pending = p.getByRole("table", { name: "Pending staff changes" }).getByRole("row").filter({ hasText: invited });
    await pending.getByText("yours: another admin approves").waitFor();
    assert.equal(await pending.getByRole("button", { name: "Approve" }).count(), 0);
    await shot(p, "console-staff-changes");
    // The server refuses the proposer's approval too.
    const changes = await p.evaluate(() => fetch("/web/api/console/staff/changes").then((r) => r.json()));
    const change = changes.changes.find((c) => c.target_email === invited);
    const r = await consolePost(p, `/web/api/console/staff/changes/${change.id}/approve`, { reason: "e2e: my own" });
    assert.equal(r.status, 403);
    assert.match(r.body.message, /four eyes/);
    await pending.getByRole("button", { name: "Withdraw" }).click();
    const withdraw = p.getByRole("form", { name: /^Reject: / });
    await withdraw.getByLabel("Reason").fill("e2e: withdrawn");
    await withdraw.getByRole("button", { name: "Reject" }).click();
    await p.getByText(`Invite ${invited} as kyc: rejected.`).waitFor();
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});
