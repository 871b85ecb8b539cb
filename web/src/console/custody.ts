// The console's crypto page (docs/web-api.md, "Crypto", page id `custody`): each network's
// wallet (hot balance, what signed withdrawals still take out, the watcher's height against the
// node's), withdrawals awaiting approval (approve; reject with a reason, which releases the
// hold), fee bumps of a stuck Ethereum withdrawal (one person proposes, another approves), the
// release of a mined-but-reverted one's hold (the same four eyes), reorg cases (resolving one lifts the customer's freeze), a rescan of a block range, and
// on the demo's own chain a faucet that pays test coins to a customer's deposit address.
import { h, clear, field, table, every } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { t, num, dateTime } from "../lib/i18n";
import { can } from "./access";

interface Wallet {
  network: string; asset: string; hot_address: string; hot_balance: string | null; outgoing: string; node_height: number | null; scanned_height: number | null;
  error: string | null; watermark: "low" | "ok" | "high" | null; hot_low: string; hot_high: string; cold_configured: boolean; cold_balance: string | null;
}
interface Withdrawal {
  id: string; network: string; asset: string; address: string; amount: string; receives: string; status: string; approvals_needed: number;
  approvals: { staff_id: number; email: string }[]; user_email: string | null; txid: string | null; confirmations: number; created_ms: number; reason: string | null;
  fee_bumps?: FeeBump[];
  reverted_release?: RevertedRelease | null;
}
interface RevertedRelease { txid: string; reason: string; proposed_by: number; approved_by: number | null }
interface Sweep {
  id: number; network: string; kind: "sweep" | "to_cold" | "top_up"; inputs: number; send: string; fee: string; status: string; proposed_ms: number; unsigned_txid: string;
  psbt: string | null;
}
const KINDS = { sweep: "sweep", to_cold: "to cold", top_up: "top-up" } as const;
interface FeeBump { id: number; status: string; max_fee_per_gas_wei: string; priority_fee_per_gas_wei: string; proposed_by: number }
interface Case { id: number; network: string; kind: string; user_id: number; asset: string; txid: string; detail: string; opened_ms: number; resolution: string | null }

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const short = (s: string) => (s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-8)}` : s);

export async function custodyPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Crypto custody")));
  // Compliance reads custody; finance and admins act (the server checks each action's role).
  const acts = can("funds.operate") || can("funds.approve");
  const out = h("div", { class: "ok", role: "status", "aria-live": "polite" });
  const err = h("div", { class: "form-error", role: "alert" });
  const wallets = h("section", { "aria-label": t("Wallets") });
  const withdrawals = h("section", { "aria-label": t("Withdrawals") });
  const cases = h("section", { "aria-label": t("Reorg cases") });
  const tools = h("section", { "aria-label": t("Tools") });
  const sweeps = h("section", { "aria-label": t("Sweeps") });
  view.append(out, err, h("h2", {}, t("Wallets")), wallets, h("h2", {}, t("Withdrawals")), withdrawals, h("h2", {}, t("Reorg cases")), cases,
    h("h2", {}, t("Sweeps")), sweeps, h("h2", {}, t("Tools")), tools);
  const say = (text: string) => { err.textContent = ""; out.textContent = text; };
  const fail = (e: unknown) => { out.textContent = ""; err.textContent = message(e); };

  // Which network the sweep and transfer buttons act on (kept across refreshes).
  let chosen = "";
  const refresh = async () => {
    const [w, q, c, s] = await Promise.all([
      get<{ wallets: Wallet[] }>("/web/api/console/custody/wallets"),
      get<{ withdrawals: Withdrawal[] }>("/web/api/console/custody/withdrawals"),
      get<{ cases: Case[] }>("/web/api/console/custody/cases"),
      get<{ sweeps: Sweep[] }>("/web/api/console/custody/sweeps"),
    ]);
    if (!w.wallets.some((x) => x.network === chosen)) chosen = w.wallets[0]?.network ?? "LTC";
    const pick = h("select", { "data-testid": "custody-network", "aria-label": t("Network") },
      w.wallets.map((x) => h("option", { value: x.network }, x.network)));
    pick.value = chosen;
    pick.onchange = () => { chosen = pick.value; };
    const propose = h("button", { type: "button" }, t("Prepare a sweep to the hot wallet"));
    propose.onclick = async () => {
      try { await post("/web/api/console/custody/sweeps", { network: chosen }); say(t("Sweep prepared: a second person approves it before its PSBT is released.")); await refresh(); } catch (e) { fail(e); }
    };
    const toCold = h("button", { type: "button" }, t("Move the excess to cold"));
    toCold.onclick = async () => {
      try { await post("/web/api/console/custody/transfers/to-cold", { network: chosen }); say(t("Transfer prepared: a second person approves it.")); await refresh(); } catch (e) { fail(e); }
    };
    const topUp = h("button", { type: "button" }, t("Top up from cold"));
    topUp.onclick = async () => {
      const amount = prompt(t("How much to bring from cold?"));
      if (!amount) return;
      try { await post("/web/api/console/custody/transfers/top-up", { network: chosen, amount: amount.trim() }); say(t("Transfer prepared: a second person approves it.")); await refresh(); } catch (e) { fail(e); }
    };
    const coldConfigured = w.wallets.some((x) => x.cold_configured);
    clear(sweeps, acts && h("p", { class: "actions" }, pick, propose, coldConfigured ? toCold : null, coldConfigured ? topUp : null),
      table([t("Prepared"), t("Kind"), t("Inputs"), t("Amount"), t("Fee"), t("Status"), ""], s.sweeps.map((x) => {
      const cell = h("span", { class: "actions" });
      if (x.status === "proposed") {
        const approve = h("button", { type: "button", class: "small" }, t("Approve"));
        approve.onclick = async () => { try { await post(`/web/api/console/custody/sweeps/${x.id}/approve`); say(t("Approved.")); await refresh(); } catch (e) { fail(e); } };
        cell.append(approve);
      } else if (x.kind === "to_cold" && (x.status === "approved" || x.status === "signed")) {
        // Approved but not sent (the node was unreachable): send it again, as signed.
        const again = h("button", { type: "button", class: "small" }, t("Send again"));
        again.onclick = async () => { try { await post(`/web/api/console/custody/sweeps/${x.id}/approve`); say(t("Sent.")); await refresh(); } catch (e) { fail(e); } };
        cell.append(again);
      } else if (x.status === "approved" && x.psbt) {
        const psbt = x.psbt;
        const download = h("button", { type: "button", class: "small" }, t("Download PSBT"));
        download.onclick = () => {
          const a = h("a", { href: URL.createObjectURL(new Blob([psbt], { type: "text/plain" })), download: `sweep-${x.id}.psbt` });
          a.click();
        };
        const send = h("button", { type: "button", class: "small" }, t("Send signed transaction"));
        send.onclick = async () => {
          const hex = prompt(t("The signed transaction (hex) from the offline signer:"));
          if (!hex) return;
          try { await post(`/web/api/console/custody/sweeps/${x.id}/broadcast`, { transaction_hex: hex.trim() }); say(t("Sent.")); await refresh(); } catch (e) { fail(e); }
        };
        cell.append(download, send);
      }
      return [dateTime(x.proposed_ms), t(KINDS[x.kind] ?? x.kind), String(x.inputs), `${num(x.send)}`, `${num(x.fee)}`, x.status, acts ? cell : ""];
    }), t("Sweeps")));
    clear(wallets, table([t("Network"), t("Hot address"), t("Hot balance"), t("Cold balance"), t("Outgoing"), t("Node height"), t("Scanned height")], w.wallets.map((x) => [
      x.network,
      h("code", { title: x.hot_address }, short(x.hot_address)),
      x.hot_balance === null ? h("span", { class: "form-error" }, x.error ?? "—") : h("span", {}, `${num(x.hot_balance)} ${x.asset}`,
        x.watermark === "low" ? h("span", { class: "badge st-rejected", role: "alert", "data-testid": "hot-low" }, ` ${t("Below")} ${num(x.hot_low)}: ${t("top up from cold")}`) : null,
        x.watermark === "high" ? h("span", { class: "badge st-awaiting_approval", role: "alert" }, ` ${t("Above")} ${num(x.hot_high)}: ${t("move the excess to cold")}`) : null),
      x.cold_balance !== null ? `${num(x.cold_balance)} ${x.asset}` : t("not configured"),
      `${num(x.outgoing)} ${x.asset}`,
      String(x.node_height ?? "—"),
      String(x.scanned_height ?? "—"),
    ]), t("Wallets")));
    clear(withdrawals, table([t("Time"), t("Customer"), t("Amount"), t("To"), t("Status"), t("Approvals"), ""], q.withdrawals.map((x) => {
      const actions = h("span", { class: "actions" });
      if (x.status === "awaiting_approval") {
        const approve = h("button", { type: "button", class: "small", "data-testid": "approve-crypto" }, t("Approve"));
        approve.onclick = async () => {
          approve.disabled = true;
          try { await post(`/web/api/console/custody/withdrawals/${encodeURIComponent(x.id)}/approve`); say(t("Approved.")); await refresh(); } catch (e) { fail(e); approve.disabled = false; }
        };
        actions.append(approve);
      }
      // Ethereum only (the list carries fee_bumps): a broadcast, unmined withdrawal replaced
      // with the same nonce and a higher fee once a second staff member approves.
      if (x.fee_bumps && ["signed", "broadcast"].includes(x.status)) {
        const open = x.fee_bumps.find((b) => b.status === "proposed");
        if (open) {
          const approve = h("button", { type: "button", class: "small", "data-testid": "approve-fee-bump" }, `${t("Approve fee bump")} (${num(open.max_fee_per_gas_wei)} wei/gas)`);
          approve.onclick = async () => {
            approve.disabled = true;
            try { await post(`/web/api/console/custody/fee-bumps/${open.id}/approve`); say(t("Replacement signed and sent.")); await refresh(); } catch (e) { fail(e); approve.disabled = false; }
          };
          actions.append(approve);
        } else {
          const bump = h("button", { type: "button", class: "small", "data-testid": "bump-fee" }, t("Bump fee"));
          bump.onclick = async () => {
            try { await post(`/web/api/console/custody/withdrawals/${encodeURIComponent(x.id)}/fee-bump`); say(t("Fee bump proposed: a second person approves it.")); await refresh(); } catch (e) { fail(e); }
          };
          actions.append(bump);
        }
      }
      // Ethereum only: mined but reverted, the hold stays until one person proposes releasing
      // it and another approves (the server checks the chain both times).
      if (x.fee_bumps && x.status === "broadcast" && x.reason?.includes("reverted")) {
        const open = x.reverted_release;
        if (open && open.approved_by === null) {
          const approve = h("button", { type: "button", class: "small danger", "data-testid": "approve-release" }, t("Approve release of the hold"));
          approve.onclick = async () => {
            approve.disabled = true;
            try { await post(`/web/api/console/custody/withdrawals/${encodeURIComponent(x.id)}/release-reverted/approve`); say(t("Released: the hold is back with the customer.")); await refresh(); } catch (e) { fail(e); approve.disabled = false; }
          };
          actions.append(approve);
        } else if (!open) {
          const release = h("button", { type: "button", class: "small", "data-testid": "release-reverted" }, t("Release the hold"));
          release.onclick = async () => {
            const reason = prompt(t("Why release it? The transaction reverted on chain; a second person approves."));
            if (!reason) return;
            try { await post(`/web/api/console/custody/withdrawals/${encodeURIComponent(x.id)}/release-reverted`, { reason }); say(t("Release proposed: a second person approves it.")); await refresh(); } catch (e) { fail(e); }
          };
          actions.append(release);
        }
      }
      if (["awaiting_approval", "approved", "requested"].includes(x.status)) {
        const reject = h("button", { type: "button", class: "small danger" }, t("Reject"));
        reject.onclick = async () => {
          const reason = prompt(t("Why is it rejected? The customer sees this."));
          if (!reason) return;
          try { await post(`/web/api/console/custody/withdrawals/${encodeURIComponent(x.id)}/reject`, { reason }); say(t("Rejected: the hold is released.")); await refresh(); } catch (e) { fail(e); }
        };
        actions.append(reject);
      }
      return [
        dateTime(x.created_ms),
        x.user_email ?? "—",
        `${num(x.receives)} ${x.asset}`,
        h("code", { title: x.address }, short(x.address)),
        h("span", { class: `badge st-${x.status}`, "data-status": x.status }, x.status.replace(/_/g, " "), x.txid ? ` (${x.confirmations})` : ""),
        `${x.approvals.length} / ${x.approvals_needed}`,
        acts ? actions : "",
      ];
    }), t("Withdrawals")));
    clear(cases, table([t("Opened"), t("Network"), t("Customer"), t("Detail"), ""], c.cases.map((x) => {
      const resolve = h("button", { type: "button", class: "small" }, t("Resolve"));
      resolve.onclick = async () => {
        const reason = prompt(t("How was it resolved?"));
        if (!reason) return;
        try { await post(`/web/api/console/custody/cases/${x.id}/resolve`, { reason }); say(t("Resolved: the freeze is lifted.")); await refresh(); } catch (e) { fail(e); }
      };
      return [dateTime(x.opened_ms), `${x.network} ${x.asset}`, String(x.user_id), x.detail, acts ? resolve : ""];
    }), t("Reorg cases")));
  };

  // The faucet (the demo chain only) and a rescan.
  const email = field(t("Customer email"), h("input", { type: "email", autocomplete: "off" }));
  const amount = field(t("Amount"), h("input", { type: "text", inputmode: "decimal", value: "1" }));
  const coin = field(t("Network"), h("select", { "data-testid": "faucet-network" }, h("option", { value: "LTC" }, "LTC"), h("option", { value: "ETH" }, "ETH")));
  const send = h("button", { type: "submit", "data-testid": "faucet-send" }, t("Send test coins"));
  const faucet = h("form", { novalidate: true, "aria-label": t("Faucet") }, h("h3", {}, t("Faucet (demo chain)")), email.wrap, coin.wrap, amount.wrap, send);
  faucet.onsubmit = async (e) => {
    e.preventDefault();
    send.disabled = true;
    try {
      const r = await post<{ address: string; txid: string; amount: string }>("/web/api/console/custody/faucet", { user_email: email.input.value.trim(), network: coin.input.value, amount: amount.input.value.trim() });
      say(`${t("Sent")} ${r.amount} → ${r.address} (${short(r.txid)})`);
    } catch (e) { fail(e); } finally { send.disabled = false; }
  };
  const network = field(t("Network"), h("input", { type: "text", value: "LTC" }));
  const from = field(t("From height"), h("input", { type: "text", inputmode: "numeric" }));
  const scan = h("button", { type: "submit" }, t("Rescan"));
  const rescan = h("form", { novalidate: true, "aria-label": t("Rescan") }, h("h3", {}, t("Rescan blocks")), network.wrap, from.wrap, scan);
  rescan.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const r = await post<{ missing: number; from: number; to: number }>("/web/api/console/custody/rescan", { network: network.input.value.trim(), from: Number(from.input.value) });
      say(`${t("Rescanned heights")} ${r.from}–${r.to}: ${r.missing} ${t("deposits were missing and will be credited.")}`);
    } catch (e) { fail(e); }
  };
  clear(tools, acts ? [faucet, rescan] : h("p", { class: "muted" }, "Your role reads custody; it takes no action here."));
  try {
    await refresh();
  } catch (e) {
    fail(e);
  }
  return every(5000, refresh);
}
