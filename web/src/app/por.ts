// The customer's Proof of reserves page: the published root and totals, the customer's proof
// downloaded as a file and verified here, in the browser (lib/por.ts: WebCrypto SHA-256 and
// BigInt), against the root published for everyone at /api/por/latest.json — not against what
// the customer API says, so the check does not rest on one answer. Any saved proof file can be
// checked the same way.
import { h, clear, table } from "../lib/dom";
import { get, ApiError } from "../lib/api";
import { t, dateTime } from "../lib/i18n";
import { amount, coin } from "../lib/amounts";
import { fromUnits } from "../lib/dec";
import { verifyPublished, type PorProof, type PorRoot, type PorCheck } from "../lib/por";

interface Total { asset: string; scale: number; units: string; amount: string }
interface Reserve {
  network: string; asset: string; hot_address: string; hot: string; cold: string | null; deposits: string; total: string; liabilities: string | null;
  covered: boolean | null; message: string; signature: string;
}
interface Report { id: number; as_of_ms: number; published_ms: number; root: PorRoot; totals: Total[]; reserves: Reserve[] | null; included?: boolean }

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

/** The published root, fetched as anyone would (no session needed). */
async function publishedRoot(): Promise<Report> {
  const res = await fetch("/api/por/latest.json", { credentials: "omit" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.error ?? String(res.status), body.message ?? res.statusText);
  return body as Report;
}

/** The verdict box: included with the balances, or the check that failed. */
function verdict(box: HTMLElement, result: PorCheck, report: Report): void {
  if (!result.ok) {
    clear(box, h("p", { class: "form-error", role: "alert" }, `${t("Verification failed:")} ${result.reason}`));
    box.dataset.verified = "false";
    return;
  }
  const scale = (code: string) => report.totals.find((x) => x.asset === code)?.scale ?? 0;
  clear(box,
    h("p", { class: "ok", role: "status" }, t("Your balances are included")),
    h("p", { class: "muted small" }, `${t("Checked in this browser against the published root")} ${result.root.hash_hex}`),
    table([t("Asset"), t("Your balance in the report")], result.root.assets.map((code, i) => [code, amount(fromUnits(result.balances[i], scale(code)), code)]), t("Your balances in the report")));
  box.dataset.verified = "true";
}

/** Saves `text` as a file named `name` (the proof is the customer's to keep). */
function save(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Parses a proof file and verifies it against the published root. */
async function check(text: string, report: Report): Promise<PorCheck> {
  let proof: PorProof;
  try {
    proof = JSON.parse(text);
  } catch {
    return { ok: false, reason: t("the file is not JSON") };
  }
  return verifyPublished(proof, report.root);
}

export async function porPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Proof of reserves")),
    h("p", { class: "muted" }, t("Every day talat commits to what it owes each customer in a Merkle sum tree and publishes its root and totals. Your proof shows, with nothing but SHA-256, that your balances are counted in those totals.")));
  const err = h("div", { class: "form-error", role: "alert" });
  const summary = h("section"), mine = h("section"), other = h("section");
  view.append(err, summary, mine, other);
  let report: Report, published: Report;
  try {
    [report, published] = await Promise.all([get<Report>("/web/api/por/latest"), publishedRoot()]);
  } catch (e) {
    err.textContent = e instanceof ApiError && e.status === 404 ? t("No proof of reserves has been published yet.") : message(e);
    return;
  }
  clear(summary, h("h2", {}, t("Published report")),
    h("dl", { class: "facts" },
      h("dt", {}, t("As of")), h("dd", {}, dateTime(published.as_of_ms)),
      h("dt", {}, t("Root hash")), h("dd", {}, h("code", { "data-testid": "por-root" }, published.root.hash_hex)),
      h("dt", {}, t("Accounts")), h("dd", {}, String(published.root.leaf_count))),
    table([t("Asset"), t("Total owed to customers")], published.totals.map((x) => [x.asset, amount(x.amount, x.asset)]), t("Total owed to customers")),
    published.reserves && published.reserves.length > 0 ? h("div", {},
      h("h2", {}, t("Held on chain against what is owed")),
      table([t("Network"), t("Hot wallet"), t("Cold wallet"), t("Deposit addresses"), t("Held on chain"), t("Owed"), ""], published.reserves.map((r) => [
        r.network, amount(r.hot, r.asset), r.cold === null ? "—" : amount(r.cold, r.asset), amount(r.deposits, r.asset), coin(r.total, r.asset), r.liabilities === null ? "—" : amount(r.liabilities, r.asset),
        h("span", { class: `badge ${r.covered ? "st-completed" : "st-rejected"}`, "data-testid": "por-covered" }, r.covered ? t("covered") : t("short")),
      ]), t("Held on chain against what is owed")),
      ...published.reserves.map((r) => h("details", {}, h("summary", {}, `${t("Signed by the hot wallet")} ${r.network}`),
        h("dl", { class: "facts" },
          h("dt", {}, t("Address")), h("dd", {}, h("code", {}, r.hot_address)),
          h("dt", {}, t("Message")), h("dd", {}, h("code", {}, r.message)),
          h("dt", {}, t("Signature")), h("dd", {}, h("code", { class: "wrap" }, r.signature)))))) : null);

  const result = h("div", { "data-testid": "por-result", "aria-live": "polite" });
  if (report.included) {
    const button = h("button", { type: "button" }, t("Download and verify my proof"));
    button.onclick = async () => {
      button.disabled = true;
      clear(result, h("p", { class: "muted" }, t("Verifying…")));
      try {
        const res = await fetch("/web/api/por/proof", { credentials: "same-origin" });
        const text = await res.text();
        if (!res.ok) throw new ApiError(res.status, "proof", (() => { try { return JSON.parse(text).message; } catch { return text; } })());
        save(text, `talat-por-proof-${published.id}.json`);
        verdict(result, await check(text, published), published);
      } catch (e) {
        clear(result, h("p", { class: "form-error", role: "alert" }, message(e)));
      } finally {
        button.disabled = false;
      }
    };
    clear(mine, h("h2", {}, t("Your proof")), button, result);
  } else {
    clear(mine, h("h2", {}, t("Your proof")),
      h("p", { role: "status" }, t("Your account is not in the latest report: it opened after the report was made. The next daily report includes it.")));
  }

  // Any proof file, e.g. one saved earlier: checked against today's published root.
  const fileResult = h("div", { "data-testid": "por-file-result", "aria-live": "polite" });
  const input = h("input", { type: "file", accept: "application/json,.json", id: "por-file" });
  input.onchange = async () => {
    const file = input.files?.[0];
    if (!file) return;
    verdict(fileResult, await check(await file.text(), published), published);
  };
  clear(other, h("h2", {}, t("Check a proof file")), h("label", { for: "por-file" }, t("Proof file")), " ", input, fileResult);
}
