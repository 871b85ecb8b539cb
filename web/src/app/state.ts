// The signed-in customer (or null) and the exchange status, shared by the pages.
import { get, setCsrf } from "../lib/api";
import { learnScales } from "../lib/amounts";

export interface Account {
  id: number | string;
  email: string;
  user_id: number;
  totp_enabled: boolean;
  locked: boolean;
  created_ms: number;
  // Onboarding (docs/web-api.md, "Onboarding and KYC").
  email_verified?: boolean;
  kyc_level?: number;
  admitted?: boolean;
  waitlist?: { position: number; estimate_ms: number | null } | null;
}

export interface Status {
  maintenance: boolean;
  /** Every asset's decimals: amounts are shown padded to them (lib/amounts). */
  assets?: { asset: string; scale: number }[];
  markets: { symbol: string; mode: string; maker_fee_ppm?: number; taker_fee_ppm?: number; price_scale?: number }[];
}

export const session: { account: Account | null; status: Status | null } = { account: null, status: null };

const listeners = new Set<() => void>();
export function onSessionChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function setAccount(a: Account | null, csrf?: string): void {
  session.account = a;
  if (csrf !== undefined) setCsrf(csrf);
  listeners.forEach((f) => f());
}

export async function loadMe(): Promise<void> {
  try {
    const me = await get<{ account: Account; csrf: string }>("/web/api/me");
    setAccount(me.account, me.csrf);
  } catch {
    setAccount(null, "");
  }
}

/** The exchange's status again (modes, fees, and the scales amounts and prices are shown to). */
export async function loadStatus(): Promise<void> {
  const s = await get<Status>("/web/api/status");
  learnScales(s.assets, s.markets);
  session.status = s;
}

export function modeOf(symbol: string): string {
  return session.status?.markets.find((m) => m.symbol === symbol)?.mode ?? "open";
}

/** The taker fee of a market in ppm: from /web/api/status when it carries it, else the default 0.25%. */
export function takerPpm(symbol: string): number {
  return session.status?.markets.find((m) => m.symbol === symbol)?.taker_fee_ppm ?? 2500;
}
