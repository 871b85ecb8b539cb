// End-to-end: proof of reserves (docs/proof-of-reserves.md, docs/web-api.md "Proof of
// reserves") in headless chromium against a real `talat serve` (TALAT_URL). A new customer is in
// no report yet and the page says so; finance publishes one from the console; the customer
// downloads their proof and the page verifies it in the browser (WebCrypto SHA-256, BigInt)
// against the public root. The page's file check accepts the crate's fixture proof as
// consistent (but not of the published root) and refuses tampered proofs, naming the check.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BASE, browser, shot, signIn } from "./lib.mjs";

const email = `por-e2e-${Date.now()}@example.com`;
const fixture = readFileSync(new URL("../../crates/talat-por/tests/fixtures/proof.json", import.meta.url), "utf8");

const customer = await browser();
const finance = await browser();
const c = customer.page, f = finance.page;
after(async () => { await customer.close(); await finance.close(); });

const proofFile = (name, text) => ({ name, mimeType: "application/json", buffer: Buffer.from(text) });
let downloaded = "";

test("a new customer is in no report yet; finance publishes one from the console", async () => {
  await c.goto(`${BASE}/#/signup`);
  await c.getByLabel("Email").fill(email);
  await c.getByLabel("Password").fill("por password 1");
  await c.getByRole("button", { name: "Sign up" }).click();
  await c.getByRole("button", { name: "Log out" }).waitFor();
  await c.getByRole("link", { name: "Proof of reserves" }).click();
  await c.getByRole("heading", { name: "Proof of reserves" }).waitFor();
  // The server published at start (or nobody was owed anything yet): either way not this customer.
  await c.getByText("Your account is not in the latest report").or(c.getByText("No proof of reserves has been published yet.")).first().waitFor();

  await signIn(f, "finance");
  await f.goto(`${BASE}/console#/por`);
  await f.getByRole("heading", { name: "Proof of reserves" }).waitFor();
  const before = await f.getByRole("table", { name: "Proof of reserves reports" }).locator("tbody tr").count();
  const [resp] = await Promise.all([
    f.waitForResponse((r) => r.url().endsWith("/web/api/console/por/publish") && r.request().method() === "POST"),
    f.getByRole("button", { name: "Publish now" }).click(),
  ]);
  assert.equal(resp.status(), 200, await resp.text());
  const report = (await resp.json()).report;
  await f.getByRole("table", { name: "Proof of reserves reports" }).getByText(report.root.hash_hex).waitFor();
  assert.ok(await f.getByRole("table", { name: "Proof of reserves reports" }).locator("tbody tr").count() >= Math.min(before + 1, 2));
});

test("the customer downloads their proof and the page verifies it in the browser", async () => {
  // The page is still open from the first test: load it afresh to see the new report.
  await c.goto(`${BASE}/#/por`);
  await c.reload();
  await c.getByRole("button", { name: "Download and verify my proof" }).waitFor();
  const published = await c.evaluate(() => fetch("/api/por/latest.json").then((r) => r.json()));
  assert.equal(await c.getByTestId("por-root").textContent(), published.root.hash_hex);
  const [download] = await Promise.all([c.waitForEvent("download"), c.getByRole("button", { name: "Download and verify my proof" }).click()]);
  assert.match(download.suggestedFilename(), /^talat-por-proof-\d+\.json$/);
  downloaded = readFileSync(await download.path(), "utf8");
  const proof = JSON.parse(downloaded);
  assert.equal(proof.format, "talat-por-v1");
  assert.equal(proof.root.hash_hex, published.root.hash_hex);
  const result = c.getByTestId("por-result");
  await result.getByText("Your balances are included").waitFor();
  assert.equal(await result.getAttribute("data-verified"), "true");
  await result.getByText(published.root.hash_hex).waitFor();
  await shot(c, "proof-of-reserves");
});

test("the file check: the fixture is consistent but not today's root; tampered proofs are refused by name", async () => {
  assert.ok(downloaded, "the previous test downloaded a proof");
  const input = c.locator("#por-file");
  const result = c.getByTestId("por-file-result");
  const root = JSON.parse(fixture).root.hash_hex;
  // The fixture passes every check of its own (steps 1-5); only its root is not the published one.
  await input.setInputFiles(proofFile("fixture.json", fixture));
  await result.getByText(`the proof checks out against root ${root}, which is not the published root`).waitFor();

  const tampered = JSON.parse(fixture);
  tampered.balances[0] = String(BigInt(tampered.balances[0]) + 1n);
  await input.setInputFiles(proofFile("tampered-fixture.json", JSON.stringify(tampered)));
  await result.getByText("THB total mismatch").waitFor();

  const mine = JSON.parse(downloaded);
  const sibling = mine.path.findIndex((s) => s.sums.some((x) => x !== "0"));
  if (sibling >= 0) {
    const a = mine.path[sibling].sums.findIndex((x) => x !== "0");
    mine.path[sibling].sums[a] = String(BigInt(mine.path[sibling].sums[a]) - 1n);
    await input.setInputFiles(proofFile("tampered-mine.json", JSON.stringify(mine)));
    await result.getByText("total mismatch").waitFor();
  }
  const negative = JSON.parse(downloaded);
  negative.balances[0] = "-5";
  await input.setInputFiles(proofFile("negative.json", JSON.stringify(negative)));
  await result.getByText('amount "-5" is negative').waitFor();
  assert.equal(await result.getAttribute("data-verified"), "false");

  // The downloaded proof itself, checked from the file: included.
  await input.setInputFiles(proofFile("mine.json", downloaded));
  await result.getByText("Your balances are included").waitFor();
});
