// End-to-end: crypto deposits on the demo's own chain (a regtest litecoind that `talat serve`
// starts when scripts/custody-env installed it; the test server mines a block a second) in
// headless chromium against a real `talat serve` (TALAT_URL). A new customer opens the Crypto
// page and gets a deposit address with its QR; finance sends test coins to it from the
// console's faucet; the customer's page follows the deposit from confirming to credited, and
// the portfolio shows the LTC. Every wait has a deadline.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, browser, shot, signIn } from "./lib.mjs";

const email = `crypto-e2e-${Date.now()}@example.com`;
const password = "correct horse battery";

const customer = await browser();
const finance = await browser();
const c = customer.page, f = finance.page;
after(async () => { await customer.close(); await finance.close(); });

test("a deposit from the faucet confirms and is credited on the customer's page", async () => {
  await c.goto(`${BASE}/#/signup`);
  await c.getByLabel("Email").fill(email);
  await c.getByLabel("Password").fill(password);
  await c.getByRole("button", { name: "Sign up" }).click();
  await c.getByRole("button", { name: "Log out" }).waitFor();

  await c.goto(`${BASE}/#/crypto`);
  await c.getByRole("heading", { name: "Crypto deposits and withdrawals" }).waitFor();
  await c.getByTestId("show-address").click();
  const address = (await c.getByTestId("deposit-address").textContent({ timeout: 10000 })).trim();
  assert.match(address, /^rltc1q[02-9ac-hj-np-z]{38,58}$/, "a regtest SegWit address");
  assert.equal(await c.locator(".qr svg").count(), 1, "the address has its QR");
  await c.getByTestId("needs-2fa").waitFor();

  await signIn(f, "finance");
  await f.goto(`${BASE}/console#/custody`);
  await f.getByRole("heading", { name: "Crypto custody" }).waitFor();
  await f.getByLabel("Customer email").fill(email);
  await f.getByLabel("Amount").fill("1.25");
  await f.getByTestId("faucet-send").click();
  await f.getByText(`→ ${address}`).waitFor({ timeout: 15000 });

  // The page refreshes itself: confirming n/3, then credited (a block a second).
  const status = c.getByTestId("deposit-status").first();
  await status.waitFor({ timeout: 20000 });
  await c.locator('[data-testid="deposit-status"][data-status="credited"]').first().waitFor({ timeout: 30000 });
  // Amounts to LTC's 8 decimals: 1.25000000 LTC, on this page and in the portfolio's list.
  assert.match(await c.locator("table[aria-label='My deposits'] tbody tr").first().textContent(), /1\.25000000 LTC/);
  await shot(c, "crypto-deposit");
  await c.goto(`${BASE}/#/portfolio`);
  await c.getByRole("table", { name: "Deposits and withdrawals" }).getByRole("row").filter({ hasText: "1.25000000 LTC" }).first().waitFor();
  await f.reload();
  await f.getByRole("heading", { name: "Wallets" }).waitFor();
  await shot(f, "console-custody");
});
