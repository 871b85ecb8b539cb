// Onboarding: the email link (#/verify?token=…) and identity verification (#/kyc), driven by the
// server's `next_step` (docs/web-api.md, "Onboarding and KYC"): verify the email, wait for
// admission, the level-1 form with its documents, the review, a reviewer's request for more
// information, the knowledge test, and the level-2 documents. The forms check what they can
// first; a refusal is shown under the field the server names.
import { h, clear, field, every, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { t, getLang, dateTime, num } from "../lib/i18n";
import { hashQuery } from "../lib/router";
import { session, setAccount, type Account } from "./state";
import {
  checkUpload, fileBase64, fileType, fieldFor, OCCUPATIONS, SOURCES_OF_FUNDS, UPLOAD_MAX_BYTES,
  type KycState, type KnowledgeTest, type KycDocument, type Application, type NextStep, type UploadProblem,
} from "../lib/kyc";

type Field = ReturnType<typeof field>;

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

/** What a level allows, in the reader's language. */
export function levelText(level: number): string {
  if (level >= 2) return t("Level 2: trading, with higher daily withdrawal limits.");
  if (level === 1) return t("Level 1: trading, and withdrawals up to the level-1 daily limits.");
  return t("Level 0: no trading and no withdrawals yet. Verify your identity to start trading.");
}

/** The level box of the portfolio and the KYC page; a link to KYC below level 2. */
export function levelPanel(level: number | undefined, link = true): HTMLElement | null {
  if (level === undefined || level === null) return null;
  return h("section", { class: `panel kyc-level level-${level}`, "aria-label": t("Verification level"), "data-testid": "kyc-level" },
    h("b", {}, `${t("Verification level")}: ${level}`), " — ", levelText(level),
    link && level < 2 ? [" ", h("a", { href: "#/kyc" }, level === 0 ? t("Verify your identity") : t("Raise your limits (level 2)"))] : null);
}

/** The refusal of an order at level 0 (bitkub_code 25), readable, with the way out. */
export function kycRefusal(e: unknown): Child | null {
  if (!(e instanceof ApiError) || e.code !== "rejected") return null;
  const body = e.body as { bitkub_code?: number } | undefined;
  if (Number(body?.bitkub_code) !== 25) return null;
  return h("span", {}, t("Trading starts at verification level 1: verify your identity first."), " ", h("a", { href: "#/kyc" }, t("Verify your identity")));
}

/** Keeps the header's account (level, verified email) in step with what /web/api/kyc said. */
function syncAccount(s: KycState): void {
  const a = session.account;
  if (a && (a.kyc_level !== s.level || a.email_verified !== s.email_verified || a.admitted !== s.admitted)) {
    setAccount({ ...a, kyc_level: s.level, email_verified: s.email_verified, admitted: s.admitted, waitlist: s.waitlist });
  }
}

// ---- the email link ----

export async function verifyPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Verify your email")));
  const out = h("div", { role: "status", "aria-live": "polite" });
  const err = errorBox();
  view.append(out, err);
  const token = hashQuery().get("token")?.trim() ?? "";
  if (!session.account) {
    err.textContent = t("Log in first, then open the link in the mail again.");
    view.append(h("p", {}, h("a", { href: "#/login" }, t("Log in"))));
    return;
  }
  const resend = resendButton(out, err);
  if (!token) {
    err.textContent = t("This link has no token: open the link from the mail, or send a new one.");
    view.append(resend);
    return;
  }
  out.textContent = t("Loading…");
  try {
    const r = await post<{ account: Account }>("/web/api/email/verify", { token });
    if (r.account) setAccount(r.account);
    out.className = "ok";
    out.textContent = t("Your email is verified.");
    view.append(h("p", {}, h("a", { href: "#/kyc", class: "button" }, t("Continue to identity verification"))));
  } catch (e) {
    out.textContent = "";
    err.textContent = message(e);
    view.append(h("p", { class: "muted" }, t("The link may be old or already used: send a new one.")), resend);
  }
}

function resendButton(out: HTMLElement, err: HTMLElement): HTMLButtonElement {
  const b = h("button", { type: "button" }, t("Send the link again"));
  b.onclick = async () => {
    err.textContent = "";
    b.disabled = true;
    try {
      await post("/web/api/email/resend");
      out.className = "ok";
      out.textContent = t("A new link is on its way: check your mail.");
    } catch (e) {
      err.textContent = e instanceof ApiError && e.code === "rate_limited" ? t("A link was sent less than a minute ago: wait a minute before asking again.") : message(e);
    } finally {
      b.disabled = false;
    }
  };
  return b;
}

// ---- #/kyc ----

const WAITING: NextStep[] = ["verify_email", "wait_admission", "wait_review"];

export async function kycPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Identity verification (KYC)")));
  const level = h("div"), notice = h("div", { role: "status", "aria-live": "polite" }), step = h("section", { "data-testid": "kyc-step" });
  view.append(level, notice, step);
  let current: string | null = null;
  const say = (text: string, ok = true) => { notice.className = ok ? "ok notice" : "form-error notice"; notice.textContent = text; };

  const load = async (force = false) => {
    const s = await get<KycState>("/web/api/kyc");
    syncAccount(s);
    clear(level, levelPanel(s.level, false));
    // A form being filled in is not redrawn by the poll; a waiting step is.
    if (!force && s.next_step === current && !WAITING.includes(s.next_step)) return;
    current = s.next_step;
    render(s);
  };

  const render = (s: KycState) => {
    const a = s.application;
    const rejected = a && a.status === "rejected" ? h("p", { class: "form-error" }, `${t("Your last application was not approved.")}${a.decision_reason ? ` ${t("Reason")}: ${a.decision_reason}` : ""}`) : null;
    switch (s.next_step) {
      case "verify_email": {
        const out = h("div", { role: "status", "aria-live": "polite" }), err = errorBox();
        clear(step, h("h2", {}, t("Verify your email")),
          h("p", {}, t("We sent a link to"), " ", h("b", {}, session.account?.email ?? ""), ". ", t("Open it to continue.")), resendButton(out, err), out, err);
        break;
      }
      case "wait_admission": {
        const w = s.waitlist;
        clear(step, h("h2", {}, t("You are on the waitlist")),
          h("p", {}, t("We admit new customers as our capacity allows, in the order they signed up.")),
          w ? h("dl", { class: "kv" }, h("dt", {}, t("Your place")), h("dd", { "data-testid": "waitlist-position" }, num(w.position)),
            h("dt", {}, t("Expected admission")), h("dd", {}, estimateText(w.estimate_ms))) : null,
          h("p", { class: "muted" }, t("We email you when you are admitted.")));
        break;
      }
      case "submit_level1":
        clear(step, rejected, level1Form(s, () => { say(t("Application sent.")); load(true); }));
        break;
      case "wait_review":
        clear(step, h("h2", {}, t("Your application is being reviewed")), applicationSummary(a),
          h("p", { class: "muted" }, t("We email you when it is decided. This page updates by itself.")));
        break;
      case "provide_more_info":
        clear(step, infoForm(a!, () => { say(t("Answer sent.")); load(true); }));
        break;
      case "knowledge_test":
        clear(step, h("p", { class: "muted" }, t("Loading…")));
        knowledgeTest(step, s, () => load(true)).catch((e) => clear(step, h("div", { class: "form-error", role: "alert" }, message(e))));
        break;
      case "done_level1":
      case "submit_level2":
        clear(step, h("p", { class: "ok" }, t("Level 1 is done: you can trade.")), " ", h("a", { href: "#/trade/BTC_THB" }, t("Trade")), rejected,
          level2Form(() => { say(t("Documents sent.")); load(true); }));
        break;
      case "done":
        clear(step, h("p", { class: "ok" }, t("You are fully verified.")));
        break;
      default:
        clear(step, h("p", {}, String(s.next_step)));
    }
  };

  try { await load(true); } catch (e) { clear(step, h("div", { class: "form-error", role: "alert" }, message(e))); return; }
  let first = true;
  return every(10000, async () => {
    if (first) { first = false; return; }
    await load().catch(() => {});
  });
}

/** `estimate_ms`: a time (epoch ms) or, if small, a duration. */
function estimateText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms > 1e12) return dateTime(ms);
  const hours = Math.ceil(ms / 3600000);
  return hours <= 48 ? `${t("about")} ${hours} ${t("hours")}` : `${t("about")} ${Math.ceil(hours / 24)} ${t("days")}`;
}

const APP_STATUS: Record<string, string> = { submitted: "Under review", more_info: "More information needed", approved: "Approved", rejected: "Not approved" };

function applicationSummary(a: Application | null): HTMLElement | null {
  if (!a) return null;
  return h("dl", { class: "kv" },
    h("dt", {}, t("Application")), h("dd", {}, `#${a.id} · ${t("Level")} ${a.level}`),
    h("dt", {}, t("Status")), h("dd", { "data-testid": "application-status" }, t(APP_STATUS[a.status] ?? a.status)),
    a.submitted_ms ? [h("dt", {}, t("Submitted")), h("dd", {}, dateTime(a.submitted_ms))] : null);
}

// ---- documents ----

/** A file input for one document purpose; `upload()` checks, sends and returns its id (null: refused, shown). */
function documentField(label: string, purpose: string) {
  const accept = purpose === "income" || purpose === "asset" ? "image/png,image/jpeg,application/pdf,.png,.jpg,.jpeg,.pdf" : "image/png,image/jpeg,.png,.jpg,.jpeg";
  const input = h("input", { type: "file", accept });
  const f = field(label, input);
  const hint = h("div", { class: "muted small" }, purpose === "income" || purpose === "asset"
    ? t("PDF, JPEG or PNG, up to 5 MB.") : t("JPEG or PNG, up to 5 MB, at least 300 × 300 pixels."));
  f.wrap.insertBefore(hint, input.nextSibling);
  let done: { file: File; id: string | number } | null = null;
  input.addEventListener("change", () => { f.error(null); done = null; });
  return {
    ...f,
    hasFile: () => !!input.files?.length,
    async upload(): Promise<string | number | null> {
      const file = input.files?.[0];
      if (!file) { f.error(t("Choose a file.")); return null; }
      if (done && done.file === file) return done.id;
      const bad = await checkUpload(file, purpose);
      if (bad) { f.error(uploadProblemText(bad)); return null; }
      f.error(null);
      try {
        const r = await post<{ document: KycDocument }>("/web/api/kyc/documents", { purpose, content_type: fileType(file), data_base64: await fileBase64(file) });
        done = { file, id: r.document.id };
        return r.document.id;
      } catch (e) { f.error(message(e)); return null; }
    },
  };
}

function uploadProblemText(p: UploadProblem): string {
  switch (p.problem) {
    case "type": return t("This type of file is not accepted here.");
    case "small": return t("The file is too small to be a legible picture or document.");
    case "large": return `${t("The file is too large: at most")} ${Math.round(UPLOAD_MAX_BYTES / 1024 / 1024)} MB.`;
    case "dimensions": return `${t("The picture is")} ${p.width} × ${p.height} ${t("pixels; each side must be at least 300.")}`;
    default: return t("The picture cannot be read.");
  }
}

// ---- level 1 ----

const THAI_ID = /^\d{13}$/;
function thaiIdOk(id: string): boolean {
  if (!THAI_ID.test(id)) return false;
  const d = [...id].map(Number);
  const sum = d.slice(0, 12).reduce((s, x, i) => s + x * (13 - i), 0);
  return (11 - (sum % 11)) % 10 === d[12];
}

function level1Form(s: KycState, sent: () => void): HTMLElement {
  const sel = (label: string, options: [string, string][], value = "") => field(label, h("select", {}, options.map(([v, l]) => h("option", { value: v, selected: v === value }, l))));
  const text = (label: string, attrs: Record<string, unknown> = {}) => field(label, h("input", { type: "text", autocomplete: "off", ...attrs }));
  const idType = sel(t("ID type"), [["thai_id", t("Thai ID card")], ["passport", t("Passport")]]);
  const idNumber = text(t("ID number"), { inputmode: "text" });
  const laser = text(t("Laser code (back of the ID card)"), { placeholder: "JC1-2345678-90" });
  const pCountry = text(t("Passport issuing country (3-letter code)"), { maxlength: 3, placeholder: "GBR" });
  const pExpiry = field(t("Passport expiry date"), h("input", { type: "date" }));
  const fnTh = text(t("First name (Thai)"), { lang: "th" }), lnTh = text(t("Last name (Thai)"), { lang: "th" });
  const fnEn = text(t("First name (Latin letters)"), { autocomplete: "given-name" }), lnEn = text(t("Last name (Latin letters)"), { autocomplete: "family-name" });
  const dob = text(t("Date of birth (YYYY-MM-DD)"), { placeholder: "1990-05-17", maxlength: 10 });
  const era = sel(t("Year written in"), [["ce", t("Common Era (CE), e.g. 1990")], ["be", t("Buddhist Era (พ.ศ.), e.g. 2533")]], getLang() === "th" ? "be" : "ce");
  const nationality = text(t("Nationality (3-letter code)"), { maxlength: 3, value: "THA" });
  const address = field(t("Address"), h("textarea", { rows: 3, maxlength: 300, autocomplete: "street-address" }));
  const occupation = sel(t("Occupation"), [["", t("Choose…")], ...OCCUPATIONS.map((o) => [o, t(OCC_LABEL[o] ?? o)] as [string, string])]);
  const sof = sel(t("Source of funds"), [["", t("Choose…")], ...SOURCES_OF_FUNDS.map((o) => [o, t(SOF_LABEL[o] ?? o)] as [string, string])]);
  const monthly = text(t("Expected monthly trading (THB)"), { inputmode: "numeric", placeholder: "50000" });
  const fatca = h("input", { type: "checkbox", id: "fatca" });
  const fatcaErr = h("div", { class: "field-error" });
  const fatcaF = { error: (m: string | null) => { fatcaErr.textContent = m ?? ""; fatcaErr.setAttribute("role", m ? "alert" : "none"); } };
  const idPhoto = documentField(t("Photo of your ID card or passport"), "id_photo");
  const selfie = documentField(t("Selfie holding the ID card or passport"), "selfie");
  const err = errorBox();
  const submit = h("button", { type: "submit" }, t("Send for review"));
  const thaiOnly = [laser.wrap], passportOnly = [pCountry.wrap, pExpiry.wrap];
  const layout = () => {
    const thai = idType.input.value === "thai_id";
    thaiOnly.forEach((w) => (w.hidden = !thai));
    passportOnly.forEach((w) => (w.hidden = thai));
    idNumber.input.setAttribute("placeholder", thai ? "1234567890123" : "AB1234567");
    idNumber.input.setAttribute("inputmode", thai ? "numeric" : "text");
  };
  idType.input.addEventListener("change", layout);
  const form = h("form", { novalidate: true, "aria-label": t("Identity (level 1)"), class: "kyc-form" },
    h("h2", {}, t("Identity (level 1)")),
    h("p", { class: "muted small" }, t("As written on your ID card or passport. We check it with the issuer and against sanctions lists.")),
    idType.wrap, idNumber.wrap, laser.wrap, pCountry.wrap, pExpiry.wrap,
    h("fieldset", {}, h("legend", {}, t("Name")), fnTh.wrap, lnTh.wrap, fnEn.wrap, lnEn.wrap),
    h("fieldset", {}, h("legend", {}, t("Date of birth")), dob.wrap, era.wrap),
    nationality.wrap, address.wrap, occupation.wrap, sof.wrap, monthly.wrap,
    h("div", { class: "field" }, h("label", { class: "check", for: "fatca" }, fatca, ` ${t("I am a US person for tax purposes (FATCA: US citizen, green-card holder or US resident)")}`), fatcaErr),
    h("fieldset", {}, h("legend", {}, t("Documents")), idPhoto.wrap, selfie.wrap),
    submit, err);
  layout();

  const slots: Record<string, { error: (m: string | null) => void; input?: HTMLElement }> = {
    id_type: idType, id_number: idNumber, laser_code: laser, passport_country: pCountry, passport_expiry: pExpiry,
    first_name_th: fnTh, last_name_th: lnTh, first_name_en: fnEn, last_name_en: lnEn, dob, dob_era: era, nationality, address,
    occupation, source_of_funds: sof, expected_monthly_thb: monthly, fatca_us_person: fatcaF, id_photo_document: idPhoto, selfie_document: selfie,
  };

  // A message goes once the field is changed.
  for (const f of Object.values(slots)) f.input?.addEventListener(f.input instanceof HTMLSelectElement ? "change" : "input", () => f.error(null));
  fatca.addEventListener("change", () => fatcaF.error(null));

  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    Object.values(slots).forEach((f) => f.error(null));
    const thai = idType.input.value === "thai_id";
    const v = (f: Field) => f.input.value.trim();
    const problems: [Field | typeof fatcaF, string | null][] = [];
    const need = (f: Field) => problems.push([f, v(f) ? null : t("Required.")]);
    const idv = v(idNumber).replace(/[\s-]/g, "");
    if (thai) {
      problems.push([idNumber, !idv ? t("Required.") : !THAI_ID.test(idv) ? t("A Thai ID number has 13 digits.") : !thaiIdOk(idv) ? t("This ID number is not valid: check the digits.") : null]);
      const lz = v(laser).replace(/[\s-]/g, "").toUpperCase();
      problems.push([laser, !lz ? t("Required.") : /^[A-Z]{2}\d{10}$/.test(lz) ? null : t("Two letters and 10 digits, e.g. JC1-2345678-90.")]);
      need(fnTh); need(lnTh);
    } else {
      problems.push([idNumber, !idv ? t("Required.") : /^[A-Za-z0-9]{5,20}$/.test(idv) ? null : t("Letters and digits as on the passport.")]);
      problems.push([pCountry, /^[A-Za-z]{3}$/.test(v(pCountry)) ? null : t("Three letters, e.g. GBR.")]);
      need(pExpiry);
    }
    need(fnEn); need(lnEn);
    problems.push([dob, !v(dob) ? t("Required.") : /^\d{4}-\d{2}-\d{2}$/.test(v(dob)) ? null : t("Write it as YYYY-MM-DD, e.g. 1990-05-17.")]);
    problems.push([nationality, /^[A-Za-z]{3}$/.test(v(nationality)) ? null : t("Three letters, e.g. THA.")]);
    need(address); need(occupation); need(sof);
    problems.push([monthly, !v(monthly) ? t("Required.") : /^\d{1,12}$/.test(v(monthly).replace(/,/g, "")) ? null : t("Whole baht, e.g. 50000.")]);
    let ok = true;
    for (const [f, m] of problems) { f.error(m); if (m) ok = false; }
    if (!idPhoto.hasFile()) { idPhoto.error(t("Choose a file.")); ok = false; }
    if (!selfie.hasFile()) { selfie.error(t("Choose a file.")); ok = false; }
    if (!ok) { (form.querySelector("[aria-invalid=true]") as HTMLElement | null)?.focus(); return; }
    submit.disabled = true;
    try {
      const idDoc = await idPhoto.upload();
      const selfieDoc = await selfie.upload();
      if (idDoc === null || selfieDoc === null) return;
      const body: Record<string, unknown> = {
        id_type: idType.input.value, id_number: thai ? idv : idv.toUpperCase(),
        first_name_en: v(fnEn), last_name_en: v(lnEn), dob: v(dob), dob_era: era.input.value,
        nationality: v(nationality).toUpperCase(), address: v(address), occupation: occupation.input.value, source_of_funds: sof.input.value,
        expected_monthly_thb: v(monthly).replace(/,/g, ""), fatca_us_person: fatca.checked, id_photo_document: idDoc, selfie_document: selfieDoc,
      };
      if (thai) body.laser_code = v(laser).replace(/[\s-]/g, "").toUpperCase();
      else { body.passport_country = v(pCountry).toUpperCase(); body.passport_expiry = v(pExpiry); }
      if (v(fnTh)) body.first_name_th = v(fnTh);
      if (v(lnTh)) body.last_name_th = v(lnTh);
      await post<{ application: Application }>("/web/api/kyc/level1", body);
      sent();
    } catch (e) {
      const f = fieldFor(e, slots);
      if (f) { f.error(message(e)); f.input?.focus(); } else err.textContent = message(e);
    } finally {
      submit.disabled = false;
    }
  };
  void s;
  return form;
}

const OCC_LABEL: Record<string, string> = {
  employee: "Employee", civil_servant: "Civil servant", business_owner: "Business owner", self_employed: "Self-employed", professional: "Professional (doctor, lawyer, engineer…)",
  teacher: "Teacher", student: "Student", retired: "Retired", homemaker: "Homemaker", cash_intensive_business: "Cash-intensive business",
  precious_metals_dealer: "Precious metals or gem dealer", casino: "Casino or gambling", money_service_business: "Money exchange or transfer", other: "Other",
};
const SOF_LABEL: Record<string, string> = {
  salary: "Salary", business: "Business income", investments: "Investments", inheritance: "Inheritance", gift: "Gift", crypto_mining: "Crypto mining", other: "Other",
};

// ---- more information ----

function infoForm(a: Application, sent: () => void): HTMLElement {
  const answer = field(t("Your answer"), h("textarea", { rows: 5, maxlength: 5000 }));
  const purpose = field(t("Document type"), h("select", {}, [["id_photo", t("Photo of your ID card or passport")], ["selfie", t("Selfie holding the ID card or passport")], ["income", t("Proof of income")], ["asset", t("Proof of assets")]]
    .map(([v, l]) => h("option", { value: v }, l))));
  let doc = documentField(t("A document (optional)"), "id_photo");
  const docSlot = h("div", {}, doc.wrap);
  purpose.input.addEventListener("change", () => { doc = documentField(t("A document (optional)"), purpose.input.value); clear(docSlot, doc.wrap); });
  const err = errorBox();
  const submit = h("button", { type: "submit" }, t("Send the answer"));
  const form = h("form", { novalidate: true, "aria-label": t("More information") }, h("h2", {}, t("We need more information")),
    h("blockquote", { class: "requested", "data-testid": "requested-info" }, a.requested_info ?? ""), answer.wrap, purpose.wrap, docSlot, submit, err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const text = answer.input.value.trim();
    answer.error(text ? null : t("Required."));
    if (!text) return;
    submit.disabled = true;
    try {
      const body: Record<string, unknown> = { text };
      if (doc.hasFile()) {
        const id = await doc.upload();
        if (id === null) return;
        body.documents = [id];
      }
      await post(`/web/api/kyc/applications/${encodeURIComponent(String(a.id))}/info`, body);
      sent();
    } catch (e) {
      const f = fieldFor(e, { text: answer, documents: doc });
      if (f) f.error(message(e)); else err.textContent = message(e);
    } finally { submit.disabled = false; }
  };
  return form;
}

// ---- the knowledge test ----

async function knowledgeTest(box: HTMLElement, s: KycState, passed: () => void): Promise<void> {
  const test = await get<KnowledgeTest>("/web/api/kyc/knowledge-test");
  const th = getLang() === "th";
  const txt = (x: { text_en: string; text_th: string }) => (th ? x.text_th : x.text_en) || x.text_en;
  const result = h("div", { role: "status", "aria-live": "polite", class: "kt-result", "data-testid": "kt-result" });
  const err = errorBox();
  const qs = test.questions.map((q, i) => {
    const msg = h("div", { class: "field-error" });
    const set = h("fieldset", { class: "kt-question", "data-question": q.id },
      h("legend", {}, `${i + 1}. ${txt(q)}`),
      q.choices.map((c) => h("label", { class: "choice" }, h("input", { type: "radio", name: `q-${q.id}`, value: c.id }), ` ${txt(c)}`)), msg);
    set.addEventListener("change", () => { msg.textContent = ""; set.classList.remove("wrong"); });
    return { q, set, msg };
  });
  const submit = h("button", { type: "submit" }, t("Submit answers"));
  const form = h("form", { novalidate: true, "aria-label": t("Knowledge test"), class: "kt" },
    h("h2", {}, t("Knowledge test")),
    h("p", { class: "muted" }, `${t("Before trading, show that you know the risks of digital assets. Pass mark")}: ${test.pass_mark_pct}%.`,
      s.knowledge?.last_score_pct !== null && s.knowledge?.last_score_pct !== undefined ? ` ${t("Your last score")}: ${s.knowledge.last_score_pct}%.` : ""),
    qs.map((x) => x.set), result, submit, err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const answers: Record<string, string> = {};
    let missing = false;
    for (const { q, set, msg } of qs) {
      const chosen = set.querySelector<HTMLInputElement>("input:checked");
      if (chosen) answers[q.id] = chosen.value;
      else { msg.textContent = t("Choose an answer."); msg.setAttribute("role", "alert"); missing = true; }
    }
    if (missing) return;
    submit.disabled = true;
    try {
      const r = await post<{ score_pct: number; passed: boolean; wrong: string[] }>("/web/api/kyc/knowledge-test", { answers });
      for (const { q, set, msg } of qs) {
        const wrong = r.wrong.includes(q.id);
        set.classList.toggle("wrong", wrong);
        msg.textContent = wrong ? t("Not right: read the question again.") : "";
        msg.setAttribute("role", "none");
      }
      result.className = `kt-result ${r.passed ? "ok" : "form-error"}`;
      clear(result, h("b", {}, r.passed ? t("Passed") : t("Not passed")), ` — ${t("Score")}: ${r.score_pct}%`,
        r.passed ? "" : ` (${r.wrong.length} ${t("wrong; try again")})`);
      if (r.passed) {
        submit.hidden = true;
        box.append(h("button", { type: "button", onclick: passed }, t("Continue")));
      }
    } catch (e) {
      err.textContent = message(e);
    } finally { submit.disabled = false; }
  };
  clear(box, form);
}

// ---- level 2 ----

function level2Form(sent: () => void): HTMLElement {
  const income = documentField(t("Proof of income (payslip, tax return or bank statement)"), "income");
  const asset = documentField(t("Proof of assets (optional)"), "asset");
  const note = field(t("Note (optional)"), h("textarea", { rows: 3, maxlength: 2000 }));
  const err = errorBox();
  const submit = h("button", { type: "submit" }, t("Send for review"));
  const form = h("form", { novalidate: true, "aria-label": t("Higher limits (level 2)") }, h("h2", {}, t("Higher limits (level 2)")),
    h("p", { class: "muted small" }, t("Send a proof of income or assets to raise your daily withdrawal limits.")), income.wrap, asset.wrap, note.wrap, submit, err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    if (!income.hasFile() && !asset.hasFile()) { income.error(t("Choose a file.")); return; }
    submit.disabled = true;
    try {
      const ids: (string | number)[] = [];
      for (const d of [income, asset]) {
        if (!d.hasFile()) continue;
        const id = await d.upload();
        if (id === null) return;
        ids.push(id);
      }
      const body: Record<string, unknown> = { documents: ids };
      if (note.input.value.trim()) body.note = note.input.value.trim();
      await post("/web/api/kyc/level2", body);
      sent();
    } catch (e) {
      const f = fieldFor(e, { documents: income, note });
      if (f) f.error(message(e)); else err.textContent = message(e);
    } finally { submit.disabled = false; }
  };
  return form;
}
