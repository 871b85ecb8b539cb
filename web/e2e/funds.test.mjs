// End-to-end: THB in and out (docs/web-api.md, "Funds: THB deposits and withdrawals") in
// headless chromium against a real `talat serve` (TALAT_URL). A customer at KYC level 1 asks to
// deposit 1500.00 and gets a Thai QR; finance imports the bank's camt.053 statement in the
// console and the deposit is credited, once; the customer adds a bank account in their KYC name,
// finance verifies it, the customer withdraws 500.00 with a 2FA code, finance approves it and
// makes a payout batch, and the bank's debit on the next statement completes the withdrawal.
// The test server starts with a cooling-off of 0, so a verified account is active at once.
//
// Two staff logins (admin for the onboarding, finance for the money): logins are rate-limited
// per address and the other test files log in too. Onboarding goes through the API (its pages
// are app.test.mjs's subject); every funds step goes through the pages. Every wait has a deadline.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import { BASE, browser, recordWrites, shot, signIn, totp, noisePng, thaiId, units, fromUnits, grouped } from "./lib.mjs";

const email = `funds-e2e-${Date.now()}@example.com`;
const password = "correct horse battery";
const KYC_NAME = "Somchai Jaidee"; // first_name_en + last_name_en below
const PAYER = "MR. SOMCHAI JAIDEE"; // as a bank writes the same person
const knowledge = JSON.parse(readFileSync(new URL("../../crates/talat-onboarding/data/knowledge-test-default.json", import.meta.url), "utf8"));

const customer = await browser();
const finance = await browser();
const admin = await browser();
const c = customer.page, f = finance.page, a = admin.page;
after(async () => { await customer.close(); await finance.close(); await admin.close(); });

const state = { secret: "", enabledStep: 0, ref1: "", ref2: "", thbBefore: "0", bankAccountId: "", withdrawal: null, credit: "" };

/** A JSON call from a page's own session (the CSRF token read from `me` for anything but GET). */
async function api(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const headers = { "Content-Type": "application/json" };
    if (method !== "GET") {
      const me = await fetch(path.startsWith("/web/api/console/") ? "/web/api/console/me" : "/web/api/me").then((r) => r.json());
      headers["X-CSRF-Token"] = me.csrf;
    }
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: r.status, json };
  }, { method, path, body });
}

/** `fn()` until it answers something truthy, at most `ms`. */
async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ok = (r, what) => { assert.ok(r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.json)}`); return r.json; };
const thbOf = async () => (ok(await api(c, "GET", "/web/api/balances"), "balances").assets.find((x) => x.asset === "THB")?.available ?? "0");
const two = (s) => { const [i, d = ""] = String(s).split("."); return `${i}.${d.padEnd(2, "0")}`; };
/** x + y (or x − y) of THB amounts, exact, two places. */
const plus = (x, y, sign = 1n) => two(fromUnits(units(x, 2) + sign * units(y, 2), 2));
const bangkokToday = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Bangkok", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

/** A minimal ISO 20022 camt.053.001.08 statement of one THB account with one booked entry. */
function camt053({ id, opening, closing, entry }) {
  const day = bangkokToday();
  const bal = (code, amount) => `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="THB">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>${day}</Dt></Dt></Bal>`;
  const party = entry.dir === "CRDT" ? `<Dbtr><Nm>${entry.name}</Nm></Dbtr>` : `<Cdtr><Nm>${entry.name}</Nm></Cdtr>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-${id}</MsgId><CreDtTm>${day}T18:00:00+07:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-${id}</Id>
      <CreDtTm>${day}T18:00:00+07:00</CreDtTm>
      <Acct><Id><Othr><Id>1234567890</Id></Othr></Id><Ccy>THB</Ccy></Acct>
      ${bal("OPBD", opening)}
      ${bal("CLBD", closing)}
      <Ntry>
        <NtryRef>${entry.ref}</NtryRef>
        <Amt Ccy="THB">${entry.amount}</Amt>
        <CdtDbtInd>${entry.dir}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>${day}</Dt></BookgDt>
        <ValDt><Dt>${day}</Dt></ValDt>
        <AcctSvcrRef>${entry.ref}</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>${entry.dir === "CRDT" ? "QR-BILL-PAYMENT" : "PAYOUT"}</Cd></Prtry></BkTxCd>
        <NtryDtls><TxDtls>
          <RltdPties>${party}</RltdPties>
          <RmtInf><Strd><CdtrRefInf><Ref>${entry.ref1}</Ref></CdtrRefInf><AddtlRmtInf>${entry.ref2}</AddtlRmtInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`;
}

/** Waits for the console's outcome line to say `text`, or fails with the refusal shown in `scope`. */
async function outcome(scope, text) {
  const said = f.getByTestId("funds-outcome").filter({ hasText: text });
  const refused = scope.locator(".form-error:not(:empty), .field-error[role=alert]:not(:empty)");
  await said.or(refused).first().waitFor();
  assert.equal(await refused.count(), 0, `refused: ${(await refused.allTextContents()).join(" | ")}`);
  return (await said.textContent()).trim();
}

/** Imports a statement on the console's Statements tab; answers the summary's numbers. */
async function importStatement(xml) {
  await f.goto(`${BASE}/console#/funds/statements`);
  const form = f.getByRole("form", { name: "Import a statement" });
  await form.getByLabel("Format").selectOption("camt053");
  await form.getByLabel("…or paste the statement").fill(xml);
  await form.getByRole("button", { name: "Import" }).click(); // clears the last summary at once
  const refused = form.locator(".form-error:not(:empty), .field-error[role=alert]:not(:empty)");
  await f.getByTestId("import-lines").or(refused).first().waitFor({ timeout: 15000 });
  assert.equal(await refused.count(), 0, `the import was refused: ${(await refused.allTextContents()).join(" | ")}`);
  const n = async (k) => (await f.getByTestId(`import-${k}`).textContent()).trim();
  return { lines: await n("lines"), credited: await n("credited"), settled: await n("settled"), duplicates: await n("duplicates"), exceptions: await n("exceptions") };
}

test("a customer signs up, enables 2FA and reaches KYC level 1", async () => {
  await c.goto(`${BASE}/#/signup`);
  await c.getByLabel("Email").fill(email);
  await c.getByLabel("Password").fill(password);
  await c.getByRole("button", { name: "Sign up" }).click();
  await c.getByRole("button", { name: "Log out" }).waitFor();
  // 2FA first: a code is good once, and the withdrawal's code must come from a later time step.
  const setup = ok(await api(c, "POST", "/web/api/2fa/setup", {}), "2fa setup");
  state.secret = setup.secret;
  state.enabledStep = Math.floor(Date.now() / 30000);
  ok(await api(c, "POST", "/web/api/2fa/enable", { code: totp(state.secret, state.enabledStep) }), "2fa enable");

  // The email link from the outbox (admin), level 1 with two pictures, the knowledge test, approval (admin).
  await signIn(a, "admin");
  const mail = await until("the verification mail", async () => ok(await api(a, "GET", "/web/api/console/mail?limit=200"), "outbox").mail
    .find((m) => m.to === email && /verify\?token=/.test(m.body)));
  const token = decodeURIComponent(mail.body.match(/#\/verify\?token=([^\s&]+)/)[1]);
  ok(await api(c, "POST", "/web/api/email/verify", { token }), "verify email");
  const doc = async (purpose, w, hgt) => ok(await api(c, "POST", "/web/api/kyc/documents", { purpose, content_type: "image/png", data_base64: noisePng(w, hgt).toString("base64") }), purpose).document.id;
  const idDoc = await doc("id_photo", 480, 320);
  const selfieDoc = await doc("selfie", 360, 480);
  ok(await api(c, "POST", "/web/api/kyc/level1", {
    id_type: "thai_id", id_number: thaiId(), laser_code: "JC3159691039",
    first_name_th: "สมชาย", last_name_th: "ใจดี", first_name_en: "Somchai", last_name_en: "Jaidee", dob: "2533-05-17", dob_era: "be",
    nationality: "THA", address: "99/1 Sukhumvit Road, Khlong Toei, Bangkok 10110", occupation: "employee", source_of_funds: "salary",
    expected_monthly_thb: "50000", fatca_us_person: false, id_photo_document: idDoc, selfie_document: selfieDoc,
  }), "level 1");
  for (let i = 0; i < 6; i++) {
    const k = ok(await api(c, "GET", "/web/api/kyc"), "kyc");
    if (k.level >= 1) break;
    if (k.next_step === "knowledge_test") {
      const answers = Object.fromEntries(knowledge.questions.map((q) => [q.id, q.correct]));
      assert.ok(ok(await api(c, "POST", "/web/api/kyc/knowledge-test", { answers }), "knowledge test").passed);
    } else if (k.next_step === "wait_review") {
      const r = ok(await api(a, "POST", `/web/api/console/kyc/applications/${k.application.id}/approve`, { reason: "e2e: funds customer" }), "approve");
      assert.ok(!r.awaiting_second_reviewer, "the e2e customer was rated high-risk");
    } else assert.fail(`unexpected next step ${k.next_step}`);
  }
  assert.equal(ok(await api(c, "GET", "/web/api/kyc"), "kyc").level, 1);
  await c.reload(); // the app reads the account (level 1, 2FA on) again
  await c.getByRole("button", { name: "Log out" }).waitFor();
});

test("deposit 1500.00: a Thai QR with Ref1/Ref2 and its expiry; a statement with the payment credits it, once", async () => {
  state.thbBefore = await thbOf();
  await c.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deposit" }).click();
  const form = c.getByRole("form", { name: "Deposit THB" });
  await c.getByTestId("deposit-bounds").filter({ hasText: /Minimum ฿[\d,.]+ · Maximum ฿[\d,.]+/ }).waitFor();
  // Checked in the form first: nothing sent.
  const writes = recordWrites(c);
  await form.getByLabel("Amount (THB)").fill("15.001");
  await form.getByRole("button", { name: "Create the QR code" }).click();
  await form.getByText("Enter an amount in baht with at most two decimals, e.g. 1500.00.").waitFor();
  assert.deepEqual(writes, []);
  await form.getByLabel("Amount (THB)").fill("1500.00");
  await form.getByRole("button", { name: "Create the QR code" }).click();
  const card = c.getByTestId("deposit-card");
  await card.locator(".qr svg").waitFor();
  state.ref1 = (await card.getByTestId("ref1").textContent()).trim();
  state.ref2 = (await card.getByTestId("ref2").textContent()).trim();
  assert.ok(state.ref1 && state.ref2, "Ref1 and Ref2 shown");
  assert.match(await card.getByTestId("qr-payload").textContent(), /^000201/, "an EMVCo payload");
  await card.getByTestId("deposit-expiry").filter({ hasText: /Expires in \d+:\d\d/ }).waitFor();
  const mine = ok(await api(c, "GET", "/web/api/funds/deposits"), "deposits").deposits[0];
  assert.equal(mine.ref2, state.ref2);
  assert.equal(two(mine.amount), "1500.00");
  await c.locator(`[data-testid=deposit][data-ref2="${state.ref2}"] [data-testid=deposit-status][data-status=awaiting_payment]`).waitFor();
  await shot(c, "deposit-qr");

  // Finance imports the bank's statement with the payment.
  await signIn(f, "finance");
  const xml = camt053({ id: `D${Date.now()}`, opening: "1000000.00", closing: "1001500.00",
    entry: { ref: `E2E-DEP-${Date.now()}`, amount: "1500.00", dir: "CRDT", name: PAYER, ref1: state.ref1, ref2: state.ref2 } });
  const first = await importStatement(xml);
  assert.ok(Number(first.credited) > 0, `the payment is credited: ${JSON.stringify(first)}`);
  const want = plus(state.thbBefore, "1500");
  state.credit = await until(`THB balance ${want}`, async () => (units(await thbOf(), 2) === units(want, 2) ? want : null));
  await c.reload();
  await c.locator(`[data-testid=deposit][data-ref2="${state.ref2}"] [data-testid=deposit-status][data-status=credited]`).waitFor();
  await c.locator(`[data-testid=deposit][data-ref2="${state.ref2}"] li[data-status=credited]`).waitFor();

  // The same statement again: nothing more.
  const again = await importStatement(xml);
  assert.equal(Number(again.credited), 0, `a second import credits nothing: ${JSON.stringify(again)}`);
  await c.waitForTimeout(500);
  assert.equal(units(await thbOf(), 2), units(want, 2), "the balance did not move");
});

test("a bank account in the KYC name: added by the customer, verified by finance, active", async () => {
  await c.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Bank accounts" }).click();
  const banks = ok(await api(c, "GET", "/web/api/funds/banks"), "banks").banks;
  const bank = banks.find((b) => b.digits.includes(10)) ?? banks[0];
  const len = bank.digits.includes(10) ? 10 : bank.digits[0];
  const number = Array.from({ length: len }, (_, i) => (i === 0 ? 1 + randomInt(9) : randomInt(10))).join("");
  const form = c.getByRole("form", { name: "Add a bank account" });
  await form.getByLabel("Bank").selectOption(bank.code);
  await form.getByLabel("Account number").fill(number);
  await form.getByLabel("Account name (as on your verified identity)").fill(KYC_NAME);
  await form.getByRole("button", { name: "Add the account" }).click();
  const item = c.getByTestId("bank-account").filter({ hasText: number.slice(-4) });
  await item.getByTestId("account-status").and(c.locator("[data-status=pending_verification]")).waitFor();
  state.bankAccountId = await item.first().getAttribute("data-id");

  await f.goto(`${BASE}/console#/funds/bank-accounts`);
  const row = f.getByRole("table", { name: "Bank accounts" }).getByRole("row").filter({ hasText: email });
  await row.getByText(KYC_NAME).waitFor();
  await row.getByRole("button", { name: `Verify bank account ${state.bankAccountId}` }).click();
  await outcome(row, `Bank account #${state.bankAccountId} verified`);

  const acct = await until("the account is active (the test server's cooling-off is 0)", async () =>
    ok(await api(c, "GET", "/web/api/funds/bank-accounts"), "accounts").accounts.find((x) => String(x.id) === state.bankAccountId && x.status === "active"));
  assert.equal(acct.name, KYC_NAME);
  await c.reload();
  await item.getByTestId("account-status").and(c.locator("[data-status=active]")).waitFor();
});

test("withdraw 500.00 with a 2FA code: finance approves, a payout batch is made, the bank's debit completes it", async () => {
  await c.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Withdraw" }).click();
  await c.getByTestId("limit-left").filter({ hasText: /^฿[\d,]+\.\d\d$/ }).waitFor();
  const info = ok(await api(c, "GET", "/web/api/funds"), "funds");
  assert.equal(info.two_factor, true);
  const form = c.getByRole("form", { name: "Withdraw THB" });
  await form.getByLabel("To bank account").selectOption(state.bankAccountId);
  await form.getByLabel("Amount (THB)").fill("500.00");
  const receive = plus("500", info.withdraw.fee_thb, -1n);
  await form.getByTestId("receive").filter({ hasText: `฿${grouped(receive)}` }).waitFor();
  // A code is good once: this one must be of a later time step than the code that enabled 2FA.
  // The next step's code is taken a step early (RFC 6238's ±1 step); a server that does not take
  // it refuses it, changing nothing, and the current code is sent once that step has come.
  const requested = c.getByText("Withdrawal requested: it is checked and approved before it is sent.");
  const refused = form.locator(".form-error:not(:empty), .field-error[role=alert]:not(:empty)");
  await form.getByLabel("2FA code").fill(totp(state.secret, Math.max(Math.floor(Date.now() / 30000), state.enabledStep + 1)));
  await form.getByRole("button", { name: "Withdraw" }).click();
  await requested.or(refused).first().waitFor();
  if (!(await requested.count())) {
    await until("the next 2FA time step", async () => Math.floor(Date.now() / 30000) > state.enabledStep, 31000);
    await form.getByLabel("2FA code").fill(totp(state.secret));
    await form.getByRole("button", { name: "Withdraw" }).click();
    await requested.waitFor();
  }
  const w = ok(await api(c, "GET", "/web/api/funds/withdrawals"), "withdrawals").withdrawals[0];
  state.withdrawal = w;
  assert.equal(two(w.amount), "500.00");
  assert.equal(units(w.receive, 2), units(receive, 2), "what arrives is the amount less the fee");
  const item = c.locator(`[data-testid=withdrawal][data-id="${w.id}"]`);
  await item.locator(`[data-testid=withdrawal-status][data-status="${w.status}"]`).waitFor();
  await shot(c, "withdraw");

  // Finance approves (THB 500 needs one approver); approving it again is refused.
  await f.goto(`${BASE}/console#/funds/withdrawals`);
  const row = f.getByRole("table", { name: "Withdrawals" }).getByRole("row").filter({ hasText: email });
  await row.getByText("1 approver").waitFor();
  await row.getByRole("button", { name: `Approve withdrawal ${w.id}` }).click();
  await outcome(row, `Withdrawal #${w.id}`);
  const approved = await until("the withdrawal is approved", async () =>
    ok(await api(f, "GET", "/web/api/console/funds/withdrawals?status=all"), "staff withdrawals").withdrawals.find((x) => String(x.id) === String(w.id) && x.status === "approved"));
  assert.equal(approved.approvals.length, 1);
  assert.equal(approved.approvals[0].staff_email, "finance@talat.local");
  const twice = await api(f, "POST", `/web/api/console/funds/withdrawals/${w.id}/approve`, {});
  assert.equal(twice.status, 409, `a second approval is refused: ${JSON.stringify(twice.json)}`);
  assert.ok(twice.json.message, "with a readable message");

  // A payout batch with it; its CSV answers.
  await f.getByRole("navigation", { name: "Funds" }).getByRole("link", { name: "Payouts" }).click();
  await f.getByTestId("payout-waiting").filter({ hasText: /waiting for a batch: [1-9]/ }).waitFor();
  await f.getByRole("button", { name: "Create a payout batch" }).click();
  const made = await outcome(f.locator("main"), /^Batch #\S+: \d+ withdrawals?/);
  const batchId = made.match(/^Batch #(\S+):/)[1];
  const csvLink = f.getByRole("link", { name: `CSV of batch ${batchId}` });
  const href = await csvLink.getAttribute("href");
  const csv = await f.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get("content-type"), text: await r.text() }; }, href);
  assert.equal(csv.status, 200, `the payout file: ${csv.text}`);
  assert.match(csv.type ?? "", /text\/csv/);
  assert.ok(csv.text.trim(), "the payout file is not empty");
  // In the batch: recorded (processing), or already accepted by the bank (sent).
  await until("the withdrawal is in the payout", async () =>
    ok(await api(c, "GET", "/web/api/funds/withdrawals"), "withdrawals").withdrawals.find((x) => String(x.id) === String(w.id) && ["processing", "sent"].includes(x.status)));

  // The bank's debit (Ref2 = the withdrawal id, the amount received) completes it.
  const opening = "1001500.00";
  const debit = await importStatement(camt053({ id: `W${Date.now()}`, opening, closing: plus(opening, w.receive, -1n),
    entry: { ref: `E2E-PAY-${Date.now()}`, amount: two(w.receive), dir: "DBIT", name: PAYER, ref1: state.ref1, ref2: String(w.id) } }));
  assert.ok(Number(debit.settled) > 0, `the debit settles the withdrawal: ${JSON.stringify(debit)}`);
  await until("the withdrawal is completed", async () =>
    ok(await api(c, "GET", "/web/api/funds/withdrawals"), "withdrawals").withdrawals.find((x) => String(x.id) === String(w.id) && x.status === "completed"));
  await c.reload();
  await item.locator("[data-testid=withdrawal-status][data-status=completed]").waitFor();
  await item.locator("li[data-status=completed]").waitFor();
  // Thai: the page and the status in Thai.
  await c.getByLabel("Language").first().selectOption("th");
  await c.getByRole("heading", { name: "ถอนเงินบาท" }).waitFor();
  await item.getByTestId("withdrawal-status").filter({ hasText: "สำเร็จ" }).waitFor();
  await c.getByLabel("ภาษา").first().selectOption("en");

  await f.getByRole("navigation", { name: "Funds" }).getByRole("link", { name: "Withdrawals" }).click();
  await f.getByLabel("Show").selectOption("all");
  await f.getByRole("table", { name: "Withdrawals" }).getByRole("row").filter({ hasText: email }).getByText("finance@talat.local (approver)", { exact: false }).waitFor();
  await shot(f, "console-funds");
});

test("the funds pages fit a 390 px wide phone", async () => {
  await c.setViewportSize({ width: 390, height: 844 });
  for (const [route, heading] of [["deposit", "Deposit THB"], ["withdraw", "Withdraw THB"], ["bank-accounts", "Bank accounts"]]) {
    await c.goto(`${BASE}/#/${route}`);
    await c.getByRole("heading", { name: heading, exact: true }).waitFor();
    await c.waitForTimeout(200);
    const width = await c.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `#/${route} is ${width} px wide at 390`);
  }
  await c.setViewportSize({ width: 1400, height: 900 });
});

test("no request left 127.0.0.1 and no page error", () => {
  for (const b of [customer, finance, admin]) {
    assert.deepEqual(b.offsite, []);
    assert.deepEqual(b.errors, []);
  }
});
