// End-to-end: account security in headless chromium against a real `talat serve` (TALAT_URL).
// A customer changes the password on the Security page and sees the session list; signed out,
// they ask for a reset link, open the mailed link (read from the outbox by an admin, as the
// mail would arrive), choose a new password and log in with it. Also at a phone's width.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, browser, shot, signIn, totp } from "./lib.mjs";

const email = `security-e2e-${Date.now()}@example.com`;
const customer = await browser();
const admin = await browser();
const c = customer.page, a = admin.page;
after(async () => { await customer.close(); await admin.close(); });

/** Logs in, waiting out the per-address login limit (every test file logs in from 127.0.0.1);
 *  with `code`, answers the 2FA question with it. */
async function logIn(password, code) {
  await c.goto(`${BASE}/#/login`);
  for (let attempt = 0; attempt < 14; attempt++) {
    await c.getByLabel("Email").fill(email);
    await c.getByLabel("Password").fill(password);
    if (code && await c.getByLabel("2FA code").isVisible()) await c.getByLabel("2FA code").fill(code);
    const [resp] = await Promise.all([
      c.waitForResponse((r) => r.url().endsWith("/web/api/login") && r.request().method() === "POST"),
      c.getByRole("button", { name: "Log in" }).click(),
    ]);
    if (resp.status() === 200) { await c.getByRole("button", { name: "Log out" }).waitFor(); return; }
    const body = await resp.json().catch(() => ({}));
    if (resp.status() === 429) { await c.waitForTimeout(7000); continue; }
    if (body.error === "totp_required" && code) continue;
    assert.fail(`login refused: ${resp.status()} ${JSON.stringify(body)}`);
  }
  assert.fail("still rate-limited after a minute and a half");
}

test("change the password on the Security page; the sessions are listed", async () => {
  await c.goto(`${BASE}/#/signup`);
  await c.getByLabel("Email").fill(email);
  await c.getByLabel("Password").fill("first password 1");
  await c.getByRole("button", { name: "Sign up" }).click();
  await c.getByRole("button", { name: "Log out" }).waitFor();
  await c.goto(`${BASE}/#/security`);
  const sessions = c.getByRole("table", { name: "Signed-in sessions" });
  await sessions.getByText("This device").waitFor();
  const form = c.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("not my password");
  await form.getByLabel("New password").fill("second password 2");
  await form.getByRole("button", { name: "Change password" }).click();
  await form.getByText("the current password is wrong").waitFor();
  await form.getByLabel("Current password").fill("first password 1");
  await form.getByRole("button", { name: "Change password" }).click();
  await form.getByText("Password changed. Other sessions signed out: 0").waitFor();
  await shot(c, "security");
  await c.getByRole("button", { name: "Log out" }).click();
  await c.getByRole("heading", { name: "Log in" }).waitFor();
});

test("forgot password: the mailed link sets a new one, once", async () => {
  await c.goto(`${BASE}/#/login`);
  await c.getByRole("link", { name: "Forgot password?" }).click();
  await c.getByLabel("Email").fill(email);
  await c.getByRole("button", { name: "Send the link" }).click();
  await c.getByText("If an account uses this address, a link is on its way.").waitFor();

  await signIn(a, "admin");
  const link = await (async () => {
    for (let i = 0; i < 40; i++) {
      const mail = await a.evaluate(() => fetch("/web/api/console/mail?limit=200").then((r) => r.json()));
      const m = (mail.mail ?? []).find((x) => x.to === email && /reset-password\?token=/.test(x.body));
      if (m) return m.body.match(/(http\S*reset-password\?token=\S+)/)[1];
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail("no reset mail in the outbox");
  })();
  const hash = link.slice(link.indexOf("#"));
  await c.goto(`${BASE}/${hash}`);
  await c.getByLabel("New password", { exact: true }).fill("third password 3");
  await c.getByRole("button", { name: "Save the new password" }).click();
  await c.getByRole("heading", { name: "Log in" }).waitFor();
  await logIn("third password 3");
  await c.getByRole("button", { name: "Log out" }).waitFor();

  // The same link again: refused, with the reason.
  await c.getByRole("button", { name: "Log out" }).click();
  await c.getByRole("heading", { name: "Log in" }).waitFor();
  await c.goto(`${BASE}/${hash}`);
  await c.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await c.getByLabel("New password", { exact: true }).fill("fourth password 4");
  await c.getByRole("button", { name: "Save the new password" }).click();
  await c.getByText("this link is invalid, used or expired").waitFor();
});

test("the Security page fits a 360 px wide phone", async () => {
  await logIn("third password 3");
  await c.getByRole("button", { name: "Log out" }).waitFor();
  await c.setViewportSize({ width: 360, height: 800 });
  await c.goto(`${BASE}/#/security`);
  await c.getByRole("heading", { name: "Change password" }).waitFor();
  await c.waitForTimeout(200);
  const width = await c.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `#/security is ${width} px wide at 360`);
  await c.setViewportSize({ width: 1400, height: 900 });
});

test("2FA with a QR code; a backup code signs in once", async () => {
  await c.goto(`${BASE}/#/security`);
  await c.getByRole("button", { name: "Set up 2FA" }).click();
  const qr = c.getByTestId("totp-qr");
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 100), "the QR code is a picture");
  const secret = (await c.getByTestId("totp-secret").textContent()).trim();
  await c.getByLabel("2FA code").fill(totp(secret));
  await c.getByRole("button", { name: "Enable 2FA" }).click();
  await c.getByTestId("backup-codes").waitFor();
  const codes = (await c.getByTestId("backup-codes").locator("li").allTextContents()).map((s) => s.trim());
  assert.equal(codes.length, 10);
  await c.getByTestId("backup-left").getByText("Backup codes left: 10").waitFor();
  await shot(c, "security-2fa");
  await c.getByRole("button", { name: "Log out" }).click();
  await c.getByRole("heading", { name: "Log in" }).waitFor();
  await logIn("third password 3", codes[0]);
});

test("no request left 127.0.0.1 and no page error", () => {
  for (const b of [customer, admin]) {
    assert.deepEqual(b.offsite, []);
    assert.deepEqual(b.errors, []);
  }
});
