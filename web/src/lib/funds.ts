// THB deposits and withdrawals as /web/api/funds* and /web/api/console/funds/* answer them
// (docs/web-api.md, "Funds: THB deposits and withdrawals"), shared by the customer app and the
// console: the shapes, THB amounts checked and subtracted exactly (two places, BigInt), the
// server's QR picture taken in as SVG, and a copy-to-clipboard button.
import { h } from "./dom";
import { toUnits, fromUnits, isDec } from "./dec";

export interface TimelineEntry { status: string; at_ms: number; note: string | null }

export interface FundsInfo {
  limit: { daily_thb: string; used_thb: string; left_thb: string };
  deposit: { min_thb: string; max_thb: string; expiry_ms: number };
  withdraw: { min_thb: string; max_thb: string; fee_thb: string };
  pending_withdrawal: string | number | null;
  two_factor: boolean;
}

export interface Bank { code: string; name: string; name_th: string; digits: number[] }

export type BankAccountStatus = "pending_verification" | "cooling_off" | "active" | "rejected";

export interface BankAccount {
  id: string | number;
  bank_code: string;
  bank: string;
  account_no: string;
  name: string;
  status: BankAccountStatus | string;
  usable_from_ms: number | null;
  created_ms: number;
  reason: string | null;
  user_email?: string; // console
}

export type DepositStatus = "awaiting_payment" | "credited" | "expired" | "exception" | "refunded";

export interface Deposit {
  id: string | number;
  amount: string;
  status: DepositStatus | string;
  created_ms: number;
  expires_ms: number;
  ref1: string;
  ref2: string;
  qr_payload: string;
  qr_svg: string;
  timeline: TimelineEntry[];
}

export const WITHDRAWAL_STATUSES = ["requested", "awaiting_2fa", "awaiting_approval", "approved", "processing", "sent", "unknown_outcome", "completed", "rejected", "cancelled", "refunded"] as const;

export interface Withdrawal {
  id: string | number;
  amount: string;
  fee: string;
  receive: string;
  bank: string;
  account_no: string;
  status: string;
  reason: string | null;
  created_ms: number;
  can_cancel: boolean;
  timeline: TimelineEntry[];
}

export interface StaffWithdrawal extends Withdrawal {
  user_id: number | string;
  user_email: string;
  tier: { approvers: number; checker: boolean };
  approvals: { staff_email: string; kind: "approver" | "checker" | string; at_ms: number }[];
  payout_batch: string | number | null;
}

export interface PayoutBatch { id: string | number; created_ms: number; created_by: string; count: number; total: string; status: string }

export interface ImportSummary { id: string | number; date: string; lines: number; credited: number | string; settled: number | string; duplicates: number | string; exceptions: number | string }

export interface BankLineView { reference: string; booked_on: string; amount: string; direction: string; counterparty_name: string | null; ref1: string | null; ref2: string | null; description: string | null }

export interface FundsException {
  id: string | number;
  class: string;
  status: "open" | "proposed" | "resolved" | string;
  created_ms: number;
  age_ms: number;
  line: BankLineView;
  intent_id: string | null;
  proposal: { action: string; user_email: string | null; reason: string; by: string; at_ms: number } | null;
  resolution: { action: string; by: string; at_ms: number } | null;
}

export interface ReconReport {
  date: string;
  ledger_thb: string;
  bank_thb: string;
  in_transit_thb: string;
  difference_thb: string;
  status: "balanced" | "difference" | string;
  items: { kind: string; reference: string; amount: string; note: string | null }[];
  created_ms: number;
  created_by: string;
}

/** A THB amount as typed ("1500", "1500.5", "1500.00"; no separators) in satang, or null. */
export function satang(s: string): bigint | null {
  const v = s.trim();
  if (!isDec(v)) return null;
  const [, frac = ""] = v.split(".");
  if (frac.length > 2) return null;
  return toUnits(v, 2);
}

/** Satang as the two-place THB string the server takes ("1500.00"). */
export const thb = (u: bigint) => fromUnits(u, 2, 2);

/** Why `s` is not an amount between `min` and `max` (the problem's key for the caller's words), or null. */
export function amountProblem(s: string, min: string, max: string): "required" | "format" | "min" | "max" | null {
  if (!s.trim()) return "required";
  const u = satang(s);
  if (u === null) return "format";
  const lo = satang(min), hi = satang(max);
  if (lo !== null && u < lo) return "min";
  if (hi !== null && u > hi) return "max";
  return null;
}

/** a − b in THB, two places; null when either is not an amount. */
export function minus(a: string, b: string): string | null {
  const x = satang(a), y = satang(b);
  return x === null || y === null ? null : thb(x - y);
}

/** The server's QR picture (SVG markup it generated) as an element: parsed as SVG, scripts,
 *  event handlers and outside references dropped — the picture needs none of them. */
export function svgElement(markup: string): SVGSVGElement | null {
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.nodeName.toLowerCase() !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
  for (const bad of Array.from(root.querySelectorAll("script, foreignObject, iframe, a"))) bad.remove();
  const safeRef = /^(#|data:image\/(png|jpeg);)/;
  for (const el of [root, ...Array.from(root.querySelectorAll("*"))]) {
    for (const attr of Array.from(el.attributes)) {
      const n = attr.name.toLowerCase();
      if (n.startsWith("on") || ((n === "href" || n === "xlink:href") && !safeRef.test(attr.value.trim()))) el.removeAttribute(attr.name);
    }
  }
  const svg = document.importNode(root, true) as unknown as SVGSVGElement;
  svg.setAttribute("role", "img");
  return svg;
}

/** A button that copies `text`, saying so in its own label for a moment. */
export function copyButton(text: () => string, label: string, copied: string, name?: string): HTMLButtonElement {
  const b = h("button", { type: "button", class: "small", "aria-label": name }, label);
  b.onclick = async () => {
    const value = text();
    let ok = false;
    try {
      await navigator.clipboard.writeText(value);
      ok = true;
    } catch {
      // No clipboard permission (plain http, an old browser): copy through a selected text area.
      const ta = h("textarea", { "aria-hidden": "true", style: "position:fixed;left:-9999px;top:0" });
      ta.value = value;
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand("copy"); } catch { ok = false; }
      ta.remove();
    }
    if (ok) {
      b.textContent = copied;
      setTimeout(() => (b.textContent = label), 1500);
    }
  };
  return b;
}

/** "14:59" (or "1:02:03") of a duration in ms, never negative. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

/** Today's date in Bangkok, YYYY-MM-DD (the reconciliation's day). */
export function bangkokToday(now = Date.now()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Bangkok", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(now));
}
