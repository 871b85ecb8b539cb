// End-to-end: customer support in headless chromium against a real `talat serve` (TALAT_URL):
// a customer opens a ticket with an attachment, the support desk answers it in the console, the
// customer raises it as a complaint and the desk moves the complaint through its lifecycle;
// staffing, the complaint report and the mail outbox show it. One staff login (support) for all
// of it: logins are rate-limited per address and the other test file logs in too.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, browser, recordWrites, shot, signIn, png as encodePng } from "./lib.mjs";

/** A valid 2×2 RGB PNG (red, green / blue, white). */
const tinyPng = () => encodePng(2, 2, (y) => Buffer.from(y === 0 ? [255, 0, 0, 0, 255, 0] : [0, 0, 255, 255, 255, 255]));

const png = tinyPng();
const email = `support-e2e-${Date.now()}@example.com`;
const subject = `Withdrawal not arrived ${Date.now()}`;
const customer = await browser();
const staff = await browser();
const c = customer.page, s = staff.page;
after(async () => { await customer.close(); await staff.close(); });
let ticketId = "";


const myTickets = () => c.evaluate(() => fetch("/web/api/support/tickets").then((r) => r.json()));

test("a ticket without text or with a fake image is refused with the message by the field; nothing is created", async () => {
  await c.goto(`${BASE}/#/signup`);
  await c.getByLabel("Email").fill(email);
  await c.getByLabel("Password").fill("correct horse battery");
  await c.getByRole("button", { name: "Sign up" }).click();
  await c.getByRole("button", { name: "Log out" }).waitFor();
  await c.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Support" }).click();
  await c.getByRole("heading", { name: "My tickets" }).waitFor();
  await c.getByText("No tickets yet.").waitFor();
  await c.getByRole("link", { name: "New ticket" }).click();
  const form = c.getByRole("form", { name: "New ticket" });
  await form.getByLabel("Category").selectOption("withdrawal");
  await form.getByLabel("Subject").fill(subject);
  const writes = recordWrites(c);
  await form.getByRole("button", { name: "Send" }).click();
  await form.getByRole("alert").filter({ hasText: "Required." }).waitFor();
  assert.equal(await form.getByLabel("Message").getAttribute("aria-invalid"), "true");
  assert.deepEqual(writes, [], "the form sent nothing");
  // Text that only says it is a PNG: the server reads the bytes and refuses it, under the field.
  await form.getByLabel("Message").fill("My withdrawal of 0.01 BTC has not arrived after two hours.");
  await form.getByLabel(/^Attachments/).setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not really a picture") });
  await form.getByRole("button", { name: "Send" }).click();
  await form.getByRole("alert").filter({ hasText: /fake\.png is not/ }).waitFor();
  assert.equal(writes.length, 1);
  assert.deepEqual((await myTickets()).tickets, [], "nothing was created");
});

test("the customer opens a ticket with a PNG attachment", async () => {
  const form = c.getByRole("form", { name: "New ticket" });
  // The screenshot carries a page after its end; the server keeps only the picture.
  const sent = Buffer.concat([png, Buffer.from("<html><script>alert('riding along')</script></html>")]);
  await form.getByLabel(/^Attachments/).setInputFiles({ name: "screenshot.png", mimeType: "image/png", buffer: sent });
  // Linked to one of the customer's own deposits, picked from a list (no id to copy by hand).
  await form.getByLabel("Related to").selectOption("deposit");
  const pick = form.getByLabel("Pick one of yours");
  await pick.locator("option").nth(1).waitFor({ state: "attached" });
  const depositId = await pick.locator("option").nth(1).getAttribute("value");
  await pick.selectOption(depositId);
  assert.equal(await form.getByLabel("Order, deposit or withdrawal id").inputValue(), depositId);
  await form.getByRole("button", { name: "Send" }).click();
  await c.getByRole("heading", { name: subject }).waitFor();
  await c.getByText(`Deposit ${depositId}`).first().waitFor();
  ticketId = decodeURIComponent(new URL(c.url()).hash.split("/")[2] ?? "");
  assert.match(ticketId, /^\d+$/);
  await c.getByTestId("sla").filter({ hasText: /We answer by/ }).waitFor();
  const link = c.getByRole("link", { name: "screenshot.png" });
  const href = await link.getAttribute("href");
  assert.match(href, /^\/web\/api\/support\/attachments\/\d+$/);
  // The browser decodes what comes back: the same 2×2 picture, re-encoded, with nothing after it.
  const got = await c.evaluate(async (u) => {
    const r = await fetch(u);
    const blob = await r.blob();
    const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const rgba = Array.from(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data);
    return { type: r.headers.get("content-type"), size: [bitmap.width, bitmap.height], rgba, bytes: Array.from(new Uint8Array(await blob.arrayBuffer())) };
  }, href);
  assert.equal(got.type, "image/png");
  assert.deepEqual(got.size, [2, 2]);
  assert.deepEqual(got.rgba, [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255], "the same picture comes back");
  assert.ok(!Buffer.from(got.bytes).includes("riding along"), "what rode along after the picture was not stored");
  await c.goto(`${BASE}/#/support`);
  await c.getByRole("table", { name: "My tickets" }).getByRole("row").filter({ hasText: subject }).filter({ hasText: "Waiting for us" }).waitFor();
});

test("the support desk finds it in the queue and replies; the clocks stop and pause", async () => {
  await signIn(s, "support");
  await s.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Support" }).click();
  const row = s.getByRole("table", { name: "Tickets" }).getByRole("row").filter({ hasText: subject });
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(email.replace(/[.]/g, "\\.")));
  await row.locator(".clock.running, .clock.at_risk").first().waitFor();
  await row.getByRole("link", { name: subject }).click();
  await s.getByRole("heading", { name: `#${ticketId} ${subject}` }).waitFor();
  await s.getByRole("link", { name: "screenshot.png" }).waitFor();
  const reply = s.getByRole("form", { name: "Reply to the customer" });
  // An internal note first: marked in the thread, never shown to the customer.
  await reply.getByLabel("Reply").fill("Checked the chain: the transaction is confirmed. (internal)");
  await reply.getByLabel("Internal note (not shown to the customer)").check();
  await reply.getByRole("button", { name: "Send" }).click();
  await s.getByText("Note added.").waitFor();
  await s.getByRole("article", { name: /^Internal note/ }).waitFor();
  await reply.getByLabel("Internal note (not shown to the customer)").uncheck();
  await reply.getByLabel("Reply").fill("Your withdrawal was sent; it needs a few more confirmations. Please check again in an hour.");
  await reply.getByLabel("Then").selectOption("waiting_customer");
  await reply.getByRole("button", { name: "Send" }).click();
  await s.getByText("Reply sent.").waitFor();
  await s.getByTestId("ticket-status").filter({ hasText: "waiting customer" }).waitFor();
  await s.getByTestId("clock-first_response").filter({ hasText: "met" }).waitFor();
  await s.getByTestId("clock-resolution").filter({ hasText: "paused" }).waitFor();
  await s.evaluate(() => window.scrollTo(0, 0));
  await shot(s, "console-support");
});

test("the customer sees the reply and raises the ticket as a complaint", async () => {
  await c.goto(`${BASE}/#/support/${ticketId}`);
  await c.getByText("Your withdrawal was sent; it needs a few more confirmations.").waitFor();
  assert.equal(await c.getByText("(internal)").count(), 0, "no internal note for the customer");
  await c.locator(".ticket-meta").getByText("Waiting for your reply").waitFor();
  await c.getByRole("button", { name: "Raise as a complaint" }).click();
  await c.getByLabel("What went wrong (optional)").fill("Two hours without news about my money.");
  await c.getByRole("button", { name: "Confirm the complaint" }).click();
  await c.locator(".ticket-meta").getByText("Complaint received").waitFor();
  await c.getByRole("button", { name: "Raise as a complaint" }).waitFor({ state: "hidden" });
  await shot(c, "app-support");
});

test("the desk moves the complaint received → acknowledged → investigating → resolved; a reject without a reason shows the server's refusal", async () => {
  await s.reload();
  const status = s.getByTestId("complaint-status");
  await status.filter({ hasText: "complaint: received" }).waitFor();
  const move = async (to, reason) => {
    const form = s.getByRole("form", { name: "Move the complaint" });
    await form.getByLabel("Move the complaint to").selectOption(to);
    await form.getByLabel("Reason (required to reject)").fill(reason ?? "");
    await form.getByRole("button", { name: "Move complaint" }).click();
    return form;
  };
  await move("acknowledged");
  await status.filter({ hasText: "complaint: acknowledged" }).waitFor();
  await move("investigating");
  await status.filter({ hasText: "complaint: investigating" }).waitFor();
  const form = await move("rejected");
  const refusal = form.getByRole("alert").filter({ hasText: /reason/i });
  await refusal.waitFor();
  assert.ok((await refusal.textContent()).trim().length > 10, "a readable refusal");
  await status.filter({ hasText: "complaint: investigating" }).waitFor();
  await move("resolved", "Withdrawal confirmed on chain; delay explained to the customer.");
  await status.filter({ hasText: "complaint: resolved" }).waitFor();
  await s.getByRole("table", { name: "Events" }).getByRole("row").filter({ hasText: "resolved" }).first().waitFor();
});

test("staffing: agents to roster against the roster, charted per half hour; an admin edits the roster; the dashboard counts tickets", async () => {
  await s.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Staffing" }).click();
  const intervals = s.getByRole("table", { name: "Staffing intervals" });
  await intervals.getByRole("row").nth(48).waitFor();
  assert.equal(await intervals.getByRole("row").count(), 49);
  await s.getByTestId("staffing-chart").locator("canvas").first().waitFor();
  assert.equal(await s.getByRole("form", { name: "Roster" }).count(), 0, "only admins edit the roster");
  const writes = recordWrites(s);
  await s.getByLabel("Average handling time (s)").fill("abc");
  await s.getByLabel(/^Arrivals forecast/).fill("1, 2, 3");
  await s.getByRole("button", { name: "Calculate" }).click();
  await s.getByText("Enter a number such as 1.5.").waitFor();
  await s.getByText("48 numbers, one per half hour (3 given).").waitFor();
  assert.deepEqual(writes, []);

  // An admin rosters agents and plans with a forecast (a second staff login: the roster is theirs).
  const admin = await browser();
  try {
    const a = admin.page;
    await signIn(a, "admin");
    await a.goto(`${BASE}/console#/dashboard`);
    await a.locator(".tile").filter({ hasText: "Complaints open" }).waitFor();
    await a.goto(`${BASE}/console#/staffing`);
    const roster = a.getByRole("form", { name: "Roster" });
    await roster.waitFor();
    for (let i = 0; i < 48; i++) {
      const hhmm = `${String(Math.floor(i / 2)).padStart(2, "0")}:${i % 2 ? "30" : "00"}`;
      await roster.getByLabel(`Agents ${hhmm}`, { exact: true }).fill(i >= 18 && i < 36 ? "4" : i >= 14 && i < 42 ? "2" : "1");
    }
    await roster.getByRole("button", { name: "Save roster" }).click();
    await roster.getByText("Give a reason: it goes into the audit log.").waitFor();
    await roster.getByLabel("Reason").fill("e2e: weekday roster");
    await roster.getByRole("button", { name: "Save roster" }).click();
    await a.getByText("Roster saved.").waitFor();
    const forecast = Array.from({ length: 48 }, (_, i) => { const hr = i / 2; return hr >= 8 && hr < 20 ? (2 + 10 * Math.sin((Math.PI * (hr - 8)) / 12)).toFixed(1) : "0.5"; });
    await a.getByLabel(/^Arrivals forecast/).fill(forecast.join(", "));
    await a.getByRole("button", { name: "Calculate" }).click();
    await a.getByText(/tickets a day \(given arrivals\)/).waitFor();
    const row = a.getByRole("table", { name: "Staffing intervals" }).getByRole("row").filter({ hasText: "09:00–09:30" });
    assert.equal((await row.getByRole("cell").nth(4).textContent()).trim(), "4", "the saved roster");
    await a.waitForTimeout(500);
    await shot(a, "console-staffing");
    assert.deepEqual(admin.offsite, []);
    assert.deepEqual(admin.errors, []);
  } finally {
    await admin.close();
  }
});

test("the complaint report shows the complaint; CSV and print are offered", async () => {
  await s.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Reports" }).click();
  const report = s.getByRole("region", { name: "Complaints report" });
  await report.locator(".report-body").waitFor();
  assert.ok(Number(await report.getByTestId("complaints-received").textContent()) >= 1);
  // The complaint was received and resolved this month: counted under its category and outcome.
  const byCategory = report.getByRole("table", { name: "Complaints by category and outcome" });
  const header = (await byCategory.getByRole("columnheader").allTextContents()).map((x) => x.trim());
  const cells = (await byCategory.getByRole("row").filter({ hasText: "withdrawal" }).getByRole("cell").allTextContents()).map((x) => x.trim());
  assert.ok(Number(cells[header.indexOf("Resolved")]) >= 1, `withdrawal complaints resolved: ${cells}`);
  await report.getByRole("table", { name: "Complaint handling times" }).getByRole("row").filter({ hasText: "Acknowledge" }).waitFor();
  await report.getByRole("button", { name: "Print" }).waitFor();
  const csv = await report.getByRole("link", { name: "Download CSV" }).getAttribute("href");
  assert.match(csv, /reports\/complaints\?month=\d{4}-\d{2}&format=csv$/);
  const got = await s.evaluate((u) => fetch(u).then(async (r) => ({ status: r.status, type: r.headers.get("content-type"), text: await r.text() })), csv);
  assert.equal(got.status, 200);
  assert.match(got.type, /csv/);
  await s.getByRole("region", { name: "SLA attainment report" }).locator(".report-body").waitFor();
});

test("the mail outbox lists the acknowledgement to the customer", async () => {
  await s.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Mail" }).click();
  const rows = s.getByRole("table", { name: "Outbox" }).getByRole("row").filter({ hasText: email });
  await rows.first().waitFor();
  assert.ok((await rows.count()) >= 2, "the acknowledgement and the reply");
  await rows.filter({ hasText: `#${ticketId}` }).last().getByRole("button").click();
  await s.getByRole("region", { name: "Mail" }).getByText(`Ticket #${ticketId}`).waitFor();
});

test("no request left 127.0.0.1 and no page error", () => {
  assert.deepEqual(customer.offsite, []);
  assert.deepEqual(customer.errors, []);
  assert.deepEqual(staff.offsite, []);
  assert.deepEqual(staff.errors, []);
});
