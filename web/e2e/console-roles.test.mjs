// End-to-end: the console fits each role (issue 21) in headless chromium against a real
// `talat serve`. An operator sees the Markets page's halt buttons but no fee or band controls
// (and the server refuses them anyway); support finds an API-only account in the user search
// and opens its picture, with no lock button, and the market maker's, whose open orders are cut
// to the newest 20 with a note; an admin proposes inviting a staff member (a bad
// address is refused in the form, nothing sent), cannot approve their own proposal (no button,
// and the server refuses it: four eyes) and withdraws it; proposed again, the demo's second
// admin approves it, and the invited staff member sets a password through the one-time link
// (a second use is refused) and logs in with their role.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BASE, browser, recordWrites, shot, signIn, logInAs, staffPassword } from "./lib.mjs";

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

test("support finds an API-only account and opens its picture, with no lock button; the market maker's shows its newest 20 open orders of all", async () => {
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
    // The demo market maker has hundreds of open orders: the picture shows the newest 20 and says so.
    const { maker } = JSON.parse(readFileSync(join(process.env.TALAT_DATA, "demo.json"), "utf8"));
    await p.goto(`${BASE}/console#/users/${maker}`);
    await p.getByRole("heading", { name: `User ${maker} (API only)` }).waitFor();
    const note = p.getByTestId("open-orders-capped");
    await note.waitFor();
    const [, shown, total] = (await note.textContent()).match(/^Showing (\d+) of (\d+) open orders \(the newest\)\.$/) ?? [];
    assert.ok(Number(shown) === 20 && Number(total) > 20, `the note: ${await note.textContent()}`);
    assert.equal(await p.getByRole("table", { name: "Open orders" }).locator("tbody tr").count(), 20);
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
    const pending = p.getByRole("table", { name: "Changes waiting for a second admin" }).getByRole("row").filter({ hasText: invited });
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


test("a second admin approves an invitation; the invited staff member sets a password once and logs in", async () => {
  const first = await browser(), second = await browser(), invitee = await browser();
  try {
    const invited = `e2e-kyc-${Date.now()}@talat.local`;
    await signIn(first.page, "admin");
    await first.page.goto(`${BASE}/console#/staff`);
    await first.page.getByRole("button", { name: "Invite a staff member" }).click();
    const form = first.page.getByRole("form", { name: "Invite a staff member" });
    await form.getByLabel("Email").fill(invited);
    await form.getByLabel("Role").selectOption("kyc");
    await form.getByLabel("Reason").fill("e2e: a new reviewer");
    await form.getByRole("button", { name: "Propose invitation" }).click();
    await first.page.getByText("Invitation proposed: another admin must approve it.").waitFor();

    const a2 = second.page;
    const { email, password } = staffPassword("admin2");
    await logInAs(a2, email, password, "admin");
    await a2.goto(`${BASE}/console#/staff`);
    const pending = a2.getByRole("table", { name: "Changes waiting for a second admin" }).getByRole("row").filter({ hasText: invited });
    await pending.getByRole("button", { name: "Approve" }).click();
    const approve = a2.getByRole("form", { name: /^Approve: / });
    await approve.getByLabel("Reason").fill("e2e: agreed");
    await approve.getByRole("button", { name: "Approve" }).click();
    const link = await a2.getByTestId("set-password-link").textContent();
    assert.match(link, /\/console#\/set-password\//);
    await a2.getByRole("table", { name: "Staff", exact: true }).getByRole("row").filter({ hasText: invited }).waitFor();

    const p = invitee.page;
    await p.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
    await p.getByLabel("New password", { exact: true }).fill("a new reviewer password");
    await p.getByLabel("The same password again").fill("a different one");
    await p.getByRole("button", { name: "Set password" }).click();
    await p.getByText("The two passwords differ.").waitFor();
    await p.getByLabel("The same password again").fill("a new reviewer password");
    await p.getByRole("button", { name: "Set password" }).click();
    await p.getByText(`You can now log in as ${invited} (kyc).`).waitFor();
    // The link works once.
    await p.goto("about:blank");
    await p.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
    await p.getByLabel("New password", { exact: true }).fill("another reviewer password");
    await p.getByLabel("The same password again").fill("another reviewer password");
    await p.getByRole("button", { name: "Set password" }).click();
    await p.getByText("this link is invalid, used or expired").waitFor();
    await p.goto("about:blank");
    await logInAs(p, invited, "a new reviewer password", "kyc");
    await p.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "KYC", exact: true }).waitFor();
    for (const b of [first, second, invitee]) assert.deepEqual(b.errors, []);
  } finally {
    await first.close();
    await second.close();
    await invitee.close();
  }
});
