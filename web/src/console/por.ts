// Proof of reserves in the console (docs/web-api.md, "Proof of reserves"): the published
// reports, newest first — when, the root hash, how many accounts, the totals owed — and, for
// the roles that may (the server says so in `can_publish` and checks again), Publish now; and
// the latest report's cold addresses, each with the offline signature that proves control of
// it attached here (the server verifies it before keeping it).
import { h, clear, table } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime, num } from "../lib/i18n";

interface Total { asset: string; amount: string }
interface ColdAddress { address: string; amount: string | null; proven: boolean }
interface Reserve { network: string; asset: string; message: string; scheme: string; cold_addresses?: ColdAddress[] }
interface Report {
  id: number; as_of_ms: number; published_ms: number; published_by: number | null; root: { hash_hex: string; leaf_count: number }; totals: Total[];
  reserves: Reserve[] | null;
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

export async function porPage(view: HTMLElement) {
  view.append(h("h1", {}, "Proof of reserves"),
    h("p", { class: "muted small" }, "The liabilities side: every customer's available + held balance per asset, committed in a Merkle sum tree. A report is published every day after midnight (Bangkok); customers download their inclusion proof and verify it against the published root."));
  const err = h("div", { class: "form-error", role: "alert" });
  const actions = h("div", { class: "actions" }), list = h("section"), cold = h("section", { "aria-label": "Cold addresses" });
  view.append(err, actions, list, cold);
  const load = async () => {
    const r = await get<{ reports: Report[]; can_publish: boolean }>("/web/api/console/por/reports");
    clear(list, table(["#", "As of", "Published", "By", "Accounts", "Root hash", "Totals owed"],
      r.reports.map((x) => [String(x.id), dateTime(x.as_of_ms), dateTime(x.published_ms), x.published_by === null ? "daily job" : `staff ${x.published_by}`,
        String(x.root.leaf_count), h("code", { class: "small" }, x.root.hash_hex), x.totals.map((tt) => `${num(tt.amount)} ${tt.asset}`).join(", ")]), "Proof of reserves reports"));
    const latest = r.reports[0];
    const rows = (latest?.reserves ?? []).flatMap((n) => (n.cold_addresses ?? []).map((a) => ({ n, a })));
    clear(cold, latest && rows.length ? h("h2", {}, `Cold addresses of report ${latest.id}`) : "", rows.length ? table(["Network", "Address", "Holds", "Control", ""], rows.map(({ n, a }) => {
      const attach = h("button", { type: "button", class: "small" }, "Attach signature");
      attach.onclick = async () => {
        const signature = prompt(`The cold key's ${n.scheme === "eip191" ? "EIP-191 (personal_sign, 0x…)" : "BIP-137 (base64)"} signature of:\n${n.message}`);
        if (!signature) return;
        err.textContent = "";
        try { await post(`/web/api/console/por/reports/${latest.id}/cold-proofs`, { network: n.network, address: a.address, signature: signature.trim() }); await load(); } catch (e) { err.textContent = message(e); }
      };
      return [n.network, h("code", { class: "small" }, a.address), `${num(a.amount ?? "0")} ${n.asset}`, a.proven ? "proven" : "not proven", a.proven || !r.can_publish ? "" : attach];
    }), "Cold addresses") : "");
    return r.can_publish;
  };
  try {
    if (await load()) {
      const button = h("button", { type: "button" }, "Publish now");
      button.onclick = async () => {
        button.disabled = true;
        err.textContent = "";
        try {
          await post("/web/api/console/por/publish", {});
          await load();
        } catch (e) { err.textContent = message(e); } finally { button.disabled = false; }
      };
      clear(actions, button);
    }
  } catch (e) { err.textContent = message(e); }
}
