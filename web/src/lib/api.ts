// JSON calls to the server: /web/api/… with the session cookie and the CSRF header, and the
// public Bitkub-compatible market data.
import { serverMessage } from "./i18n";

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public field?: string, public body?: unknown) {
    super(message);
  }
}

let csrf = "";
export function setCsrf(token: string | undefined): void {
  csrf = token ?? "";
}

export async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const text = await res.text();
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, json.error ?? String(res.status), serverMessage(json.message ?? res.statusText, json.bitkub_code), json.field, json);
  if (json && typeof json.csrf === "string") setCsrf(json.csrf);
  return json as T;
}

export const get = <T = any>(path: string) => call<T>("GET", path);
export const post = <T = any>(path: string, body: unknown = {}) => call<T>("POST", path, body);
export const del = <T = any>(path: string) => call<T>("DELETE", path);

/** A Bitkub v3 `{error, result}` answer's result. */
export async function v3<T = any>(path: string): Promise<T> {
  const res = await fetch(path);
  const json = await res.json();
  if (json && typeof json === "object" && "error" in json && json.error !== 0) throw new ApiError(res.status, String(json.error), json.message ?? "error " + json.error);
  return (json && typeof json === "object" && "result" in json ? json.result : json) as T;
}

export interface SymbolInfo {
  symbol: string;
  base_asset: string;
  quote_asset: string;
  pairing_id: number;
  price_scale: number;
  price_step: string;
  quantity_scale: number;
  quantity_step: string;
  min_quote_size: string;
  quote_asset_scale: number;
  status: string;
  name: string;
}

let symbolsCache: Promise<SymbolInfo[]> | null = null;
export function symbols(): Promise<SymbolInfo[]> {
  symbolsCache ??= v3<any[]>("/api/v3/market/symbols").then((list) =>
    list.map((s) => ({ ...s, price_step: String(s.price_step), quantity_step: String(s.quantity_step), min_quote_size: String(s.min_quote_size) })),
  );
  symbolsCache.catch(() => (symbolsCache = null));
  return symbolsCache;
}

export function wsUrl(path: string): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
}
