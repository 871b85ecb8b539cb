// End-to-end: the customer app and the staff console in headless chromium against a real
// `talat serve` (TALAT_URL). Run by crates/talat/tests/web_e2e.rs, or by hand:
//   TALAT_URL=http://127.0.0.1:8080 TALAT_DATA=./data node --test e2e/
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, browser, recordWrites, shot, totp, reloginWithTotp, staffPassword, grouped, units, fromUnits } from "./lib.mjs";

/** A price as the book prints it: grouped, padded to the market's price scale. */
const shown = (s, scale) => { const [i, f = ""] = s.split("."); return grouped(scale ? `${i}.${f.padEnd(scale, "0")}` : i); };

const email = `e2e-${Date.now()}@example.com`;
const password = "correct horse battery";
const customer = await browser();
const { page } = customer;
after(() => customer.close());

async function signIn(page, role) {
  const { email, password } = staffPassword(role);
  await page.goto(`${BASE}/console`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText(`${email} (${role})`).waitFor();
}

test("bad sign-up inputs show messages by the fields and send nothing", async () => {
  const writes = recordWrites(page);
  await page.goto(`${BASE}/#/signup`);
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("123456789012");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("Enter a valid email address.").waitFor();
  await page.getByRole("alert").filter({ hasText: "At least 10 characters, not all digits." }).waitFor();
  assert.deepEqual(writes, []);
});

test("sign up", async () => {
  await page.goto(`${BASE}/#/signup`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  await page.getByText(email).waitFor();
  await page.getByRole("table", { name: "Markets" }).getByRole("link", { name: "BTC_THB" }).waitFor();
  await page.waitForTimeout(1000);
  await shot(page, "markets");
});

test("2FA: set up, log out, log in with the code", async () => {
  await page.goto(`${BASE}/#/security`);
  await page.getByRole("button", { name: "Set up 2FA" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent()).trim();
  const enabledStep = Math.floor(Date.now() / 30000);
  await page.getByLabel("2FA code").fill(totp(secret, enabledStep));
  await page.getByRole("button", { name: "Enable 2FA" }).click();
  await page.getByText("2FA is on.").waitFor();
  await reloginWithTotp(page, email, password, secret, enabledStep);
  await page.getByRole("button", { name: "Log out" }).waitFor();
});

test("bad order inputs show messages by the fields and send nothing", async () => {
  await page.goto(`${BASE}/#/trade/BTC_THB`);
  const sym = await page.evaluate(() => fetch("/api/v3/market/symbols").then((r) => r.json()).then((j) => j.result.find((s) => s.symbol === "BTC_THB")));
  const writes = recordWrites(page);
  const buy = page.getByRole("button", { name: "Buy BTC" });
  await buy.waitFor();
  await page.getByLabel(/^Price/).fill("abc");
  await page.getByLabel(/^Amount/).fill("0");
  await buy.click();
  await page.getByText("Enter a number such as 1.5.").waitFor();
  await page.getByText("Must be more than zero.").waitFor();
  // Off the price grid, and a quantity off its step.
  const step = units(String(sym.price_step), sym.price_scale);
  const offGrid = fromUnits(step * 1000n + 1n, sym.price_scale + 1);
  await page.getByLabel(/^Price/).fill(offGrid);
  await page.getByLabel(/^Amount/).fill(fromUnits(1n, sym.quantity_scale + 1));
  await buy.click();
  await page.getByText(`Price must be a multiple of ${sym.price_step}.`).waitFor();
  await page.getByText(`Amount must be a multiple of ${sym.quantity_step}.`).waitFor();
  // On the grid, but worth less than the minimum.
  await page.getByLabel(/^Price/).fill(String(sym.price_step));
  await page.getByLabel(/^Amount/).fill(String(sym.quantity_step));
  await buy.click();
  await page.getByText(/Order value must be at least/).waitFor();
  assert.deepEqual(writes, [], "no request left the page");
});

let placed = null;
test("place and cancel an order; the order book updates live", async () => {
  await page.goto(`${BASE}/#/trade/BTC_THB`);
  const info = await page.evaluate(async () => {
    const sym = (await fetch("/api/v3/market/symbols").then((r) => r.json())).result.find((s) => s.symbol === "BTC_THB");
    const depth = (await fetch("/api/v3/market/depth?sym=BTC_THB&lmt=10").then((r) => r.json())).result;
    return { sym, sixth: depth.bids.length >= 6 ? depth.bids[5][0].toFixed(sym.price_scale) : null };
  });
  const { sym } = info;
  const ps = sym.price_scale, qs = sym.quantity_scale;
  const step = units(String(sym.price_step), ps);
  assert.ok(info.sixth, "the bot quotes at least six bid levels");
  const bids = page.getByRole("table", { name: "Bids" });
  await bids.getByRole("row").nth(6).waitFor();
  // One step above the sixth bid level (inside the visible book, out of the takers' reach),
  // on a level nobody else quotes.
  let price = units(info.sixth, ps) + step;
  while (await bids.getByText(shown(fromUnits(price, ps), ps), { exact: true }).count()) price += step;
  const priceText = fromUnits(price, ps);
  const qstep = units(String(sym.quantity_step), qs);
  const minQuote = units(String(sym.min_quote_size), 2);
  // Twice the minimum value: qty = ceil(2·min / price) on the quantity grid.
  const want = (minQuote * 2n * 10n ** BigInt(ps + qs)) / (price * 10n ** 2n);
  const qty = ((want + qstep) / qstep) * qstep;
  await page.getByLabel(/^Price/).fill(priceText);
  await page.getByLabel(/^Amount/).fill(fromUnits(qty, qs));
  await page.getByTestId("total").filter({ hasText: "THB" }).waitFor();
  await page.getByRole("button", { name: "Buy BTC" }).click();
  await page.getByText("Order placed.").waitFor();
  const row = bids.getByRole("row").filter({ hasText: shown(priceText, ps) });
  await row.waitFor();
  await shot(page, "trading");
  const open = page.locator("#open-orders");
  await open.getByRole("row").filter({ hasText: grouped(priceText) }).first().waitFor();
  await open.getByRole("button", { name: /^Cancel / }).first().click();
  await row.waitFor({ state: "detached" });
  placed = priceText;
});

test("API keys: bad IP refused in the form, create (secret shown once), Thai dates, revoke", async () => {
  await page.goto(`${BASE}/#/keys`);
  const writes = recordWrites(page);
  await page.getByLabel("IP allow-list").fill("999.1.1.1");
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByText(/Enter IPv4 or IPv6 addresses/).waitFor();
  assert.deepEqual(writes, []);
  await page.getByLabel("IP allow-list").fill("127.0.0.1");
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByText("Copy the secret now: it is shown this once.").waitFor();
  assert.match(await page.getByTestId("new-secret").textContent(), /\S{16,}/);
  const keys = page.getByRole("table", { name: "API keys" });
  await keys.getByText("127.0.0.1").waitFor();
  // Thai: the nav in Thai and dates in the Buddhist era (2026 → 2569).
  await page.getByLabel("Language").first().selectOption("th");
  await page.getByRole("link", { name: "ตลาด" }).first().waitFor();
  const created = await page.getByRole("table", { name: "API คีย์" }).getByRole("row").nth(1).textContent();
  assert.match(created, new RegExp(String(new Date().getFullYear() + 543)));
  await page.getByLabel("ภาษา").first().selectOption("en");
  await page.getByRole("button", { name: /^Revoke / }).first().click();
  await keys.getByText("127.0.0.1").waitFor({ state: "detached" });
});

test("portfolio shows balances", async () => {
  await page.goto(`${BASE}/#/portfolio`);
  await page.getByRole("table", { name: "Balances" }).getByText("THB", { exact: true }).waitFor();
  await shot(page, "portfolio");
});

test("an operator halts a market and the customer sees the banner", async () => {
  const staff = await browser();
  try {
    await signIn(staff.page, "operator");
    await staff.page.goto(`${BASE}/console#/dashboard`);
    await staff.page.getByText("Applied seq").waitFor();
    await staff.page.waitForTimeout(4000);
    await shot(staff.page, "console-dashboard");
    await staff.page.goto(`${BASE}/console#/markets`);
    // Bad input first: no reason, nothing sent.
    const writes = recordWrites(staff.page);
    await staff.page.getByRole("button", { name: "Halt BTC_THB" }).click();
    await staff.page.getByText("Give a reason: it goes into the audit log.").waitFor();
    assert.deepEqual(writes, []);
    await staff.page.getByLabel("Reason").fill("e2e: halting BTC_THB");
    await staff.page.getByRole("button", { name: "Halt BTC_THB" }).click();
    await staff.page.getByText("Done.").waitFor();
    await page.goto(`${BASE}/#/trade/BTC_THB`);
    await page.getByText("BTC_THB is halted: no orders are accepted.").waitFor({ timeout: 10000 });
    await shot(staff.page, "console-markets");
    await staff.page.getByLabel("Reason").fill("e2e: resuming BTC_THB");
    await staff.page.getByRole("button", { name: "Resume BTC_THB" }).click();
    await page.getByText("BTC_THB is halted: no orders are accepted.").waitFor({ state: "detached", timeout: 10000 });
  } finally {
    await staff.close();
  }
});

test("support may not open the dashboard: not in the nav, refused by the page and the server", async () => {
  const staff = await browser();
  try {
    await signIn(staff.page, "support");
    const nav = staff.page.getByRole("navigation", { name: "Console" });
    await nav.getByRole("link", { name: "Users" }).waitFor();
    assert.equal(await nav.getByRole("link", { name: "Dashboard" }).count(), 0);
    await staff.page.goto(`${BASE}/console#/dashboard`);
    await staff.page.getByRole("alert").filter({ hasText: "may not open" }).waitFor();
    const status = await staff.page.evaluate(() => fetch("/web/api/console/dashboard").then((r) => r.status));
    assert.equal(status, 403);
  } finally {
    await staff.close();
  }
});

test("an admin finds the customer, locks and unlocks them, and the audit log shows it", async () => {
  const staff = await browser();
  try {
    await signIn(staff.page, "admin");
    const p = staff.page;
    await p.goto(`${BASE}/console#/users`);
    await p.getByLabel("Search (email or user id)").fill(email.split("@")[0]);
    await p.getByRole("button", { name: "Search" }).click();
    await p.getByRole("table", { name: "Users" }).getByRole("button", { name: "Open" }).first().click();
    await p.getByRole("heading", { name: new RegExp(email) }).waitFor();
    await p.getByLabel("Reason").fill("e2e: lock test");
    await p.getByRole("button", { name: "Lock" }).click();
    await p.getByText("Locked: yes").waitFor();
    await p.getByLabel("Reason").fill("e2e: unlock test");
    await p.getByRole("button", { name: "Unlock" }).click();
    await p.getByText("Locked: no").waitFor();
    await p.goto(`${BASE}/console#/audit`);
    await p.getByRole("table", { name: "Audit log" }).getByText("e2e: lock test").first().waitFor();
    await shot(p, "console-audit");
  } finally {
    await staff.close();
  }
});

test("a staff member enables 2FA on the Security page, logs back in with a code; after losing it an admin resets it on the Staff page", async () => {
  const staff = await browser();
  try {
    const p = staff.page;
    const role = "kyc"; // no other test signs in as kyc: its later logins need no code
    const { email, password } = staffPassword(role);
    await signIn(p, role);
    await p.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Security" }).click();
    await p.getByText("2FA is off.").waitFor();
    await p.getByRole("button", { name: "Set up 2FA" }).click();
    const secret = (await p.getByTestId("totp-secret").textContent()).trim();
    assert.match((await p.getByTestId("totp-url").textContent()).trim(), /^otpauth:\/\/totp\//);
    // A bad code is refused in the form, a wrong one by the server; both say why.
    await p.getByLabel("2FA code").fill("12");
    await p.getByRole("button", { name: "Enable 2FA" }).click();
    await p.getByText("Enter the 6-digit code.").waitFor();
    const enabledStep = Math.floor(Date.now() / 30000);
    const good = totp(secret, enabledStep);
    const wrong = [0, 1, 2, 3].map((n) => String(n * 111111).padStart(6, "0")).find((c) => ![-1, 0, 1, 2].some((d) => totp(secret, enabledStep + d) === c));
    await p.getByLabel("2FA code").fill(wrong);
    await p.getByRole("button", { name: "Enable 2FA" }).click();
    await p.getByText("wrong two-factor code").waitFor();
    await p.getByLabel("2FA code").fill(good);
    await p.getByRole("button", { name: "Enable 2FA" }).click();
    await p.getByText("2FA is on.").waitFor();
    await shot(p, "console-security");
    await reloginWithTotp(p, email, password, secret, enabledStep);
    await p.getByText(`${email} (${role})`).waitFor();
    await p.goto(`${BASE}/console#/security`);
    await p.getByText("2FA is on.").waitFor();

    // The authenticator is lost: an admin resets the 2FA on the Staff page, with a reason.
    const admin = await browser();
    try {
      const a = admin.page;
      await signIn(a, "admin");
      await a.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Staff", exact: true }).click();
      const list = a.getByRole("table", { name: "Staff" });
      const row = list.getByRole("row").filter({ hasText: email });
      await row.getByRole("cell", { name: "on", exact: true }).waitFor();
      // No reset button for the admin's own row: another admin must do it.
      await list.getByRole("row").filter({ hasText: "admin@talat.local" }).getByText("yours: another admin resets it").waitFor();
      await row.getByRole("button", { name: `Reset 2FA of ${email}` }).click();
      const form = a.getByRole("form", { name: `Reset 2FA of ${email}` });
      // No reason: refused in the form, nothing sent; one too long: the server's message by the field.
      const writes = recordWrites(a);
      await form.getByRole("button", { name: "Confirm reset" }).click();
      await form.getByText("Give a reason: it goes into the audit log.").waitFor();
      assert.deepEqual(writes, []);
      await form.getByLabel("Reason").fill("x".repeat(501));
      await form.getByRole("button", { name: "Confirm reset" }).click();
      await form.getByText("reason must be 1 to 500 printable characters").waitFor();
      await form.getByLabel("Reason").fill("e2e: kyc lost the authenticator");
      await shot(a, "console-staff");
      await form.getByRole("button", { name: "Confirm reset" }).click();
      await a.getByText(`2FA of ${email} is reset; 1 session ended.`).waitFor();
      await row.getByRole("cell", { name: "off", exact: true }).waitFor();
      assert.equal(await row.getByRole("button").count(), 0, "nothing left to reset");
      await a.goto(`${BASE}/console#/audit`);
      const entry = a.getByRole("table", { name: "Audit log" }).getByRole("row").filter({ hasText: "staff.2fa.reset" }).filter({ hasText: "e2e: kyc lost the authenticator" });
      await entry.first().waitFor();
      assert.match(await entry.first().textContent(), /staff:\d+.*ok/);
      assert.deepEqual(admin.offsite, []);
      assert.deepEqual(admin.errors, []);
    } finally {
      await admin.close();
    }
    // The staff member's session is gone; the password alone logs in again (demo mode does not
    // require 2FA), and the Security page offers a fresh setup.
    await p.reload();
    await p.getByRole("button", { name: "Log in" }).waitFor();
    await p.getByLabel("Email").fill(email);
    await p.getByLabel("Password").fill(password);
    await p.getByRole("button", { name: "Log in" }).click();
    await p.getByText(`${email} (${role})`).waitFor();
    await p.goto(`${BASE}/console#/security`);
    await p.getByText("2FA is off.").waitFor();
    await p.getByRole("button", { name: "Set up 2FA" }).waitFor();
    assert.deepEqual(staff.offsite, []);
    assert.deepEqual(staff.errors, []);
  } finally {
    await staff.close();
  }
});

test("no request left 127.0.0.1 and no page error", () => {
  assert.deepEqual(customer.offsite, []);
  assert.deepEqual(customer.errors, []);
});
