// Onboarding and KYC as /web/api/kyc* and /web/api/console/kyc/* answer them (docs/web-api.md,
// "Onboarding and KYC"), shared by the customer app and the console: the shapes, the vocabularies
// the forms offer, and reading a chosen file as base64 after checking what the server accepts
// (type, size, image dimensions) so the person gets a readable message before sending. The
// server checks again, and the bytes rather than the name.
import { ApiError } from "./api";

export type NextStep = "verify_email" | "wait_admission" | "submit_level1" | "wait_review" | "provide_more_info" | "knowledge_test" | "done_level1" | "submit_level2" | "done";

export interface Application {
  id: number | string;
  level: number;
  status: "submitted" | "more_info" | "approved" | "rejected" | string;
  submitted_ms: number | null;
  decided_ms: number | null;
  decision_reason: string | null;
  requested_info: string | null;
  identity: { provider: string; outcome: string } | null;
  screening: "clear" | "hit" | "cleared" | "confirmed" | string | null;
  risk: { rating: string; next_review_ms: number | null; factors?: unknown } | null;
  // Console only.
  customer_email?: string;
  age_ms?: number;
  sla_state?: "ok" | "at_risk" | "breached" | string;
  assignee?: unknown;
  [k: string]: unknown;
}

export interface KycState {
  level: number;
  email_verified: boolean;
  admitted: boolean;
  waitlist: { position: number; estimate_ms: number | null } | null;
  application: Application | null;
  knowledge: { passed: boolean; version: string; last_score_pct: number | null } | null;
  next_step: NextStep;
}

export interface KnowledgeTest {
  version: string;
  pass_mark_pct: number;
  questions: { id: string; text_en: string; text_th: string; choices: { id: string; text_en: string; text_th: string }[] }[];
}

export interface KycDocument { id: number | string; purpose: string; content_type: string; size: number; width: number | null; height: number | null }

export const SOURCES_OF_FUNDS = ["salary", "business", "investments", "inheritance", "gift", "crypto_mining", "other"] as const;
/** Occupation codes (`[a-z0-9_]`, what the risk rating reads); the high-risk ones are on the server's list. */
export const OCCUPATIONS = ["employee", "civil_servant", "business_owner", "self_employed", "professional", "teacher", "student", "retired", "homemaker",
  "cash_intensive_business", "precious_metals_dealer", "casino", "money_service_business", "other"] as const;

// Uploads: what the server's defaults accept (talat-onboarding's UploadLimits).
export const UPLOAD_MIN_BYTES = 1024;
export const UPLOAD_MAX_BYTES = 5 * 1024 * 1024;
export const IMAGE_MIN_SIDE = 300;
export const IMAGE_MAX_SIDE = 8000;

export type UploadProblem = { problem: "type" | "small" | "large" | "dimensions" | "unreadable"; width?: number; height?: number };

/** The type from the browser or the name; the server decides by the bytes. */
export function fileType(f: File): string {
  if (f.type) return f.type === "image/jpg" ? "image/jpeg" : f.type;
  const ext = f.name.toLowerCase().split(".").pop() ?? "";
  return ({ png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", pdf: "application/pdf" } as Record<string, string>)[ext] ?? "";
}

/** Why this file would be refused for `purpose` (null: send it). Images: JPEG or PNG, at least
 *  300 px a side; PDF only for income and asset documents. */
export async function checkUpload(f: File, purpose: string): Promise<UploadProblem | null> {
  const type = fileType(f);
  const allowed = purpose === "income" || purpose === "asset" ? ["image/png", "image/jpeg", "application/pdf"] : ["image/png", "image/jpeg"];
  if (!allowed.includes(type)) return { problem: "type" };
  if (f.size < UPLOAD_MIN_BYTES) return { problem: "small" };
  if (f.size > UPLOAD_MAX_BYTES) return { problem: "large" };
  if (type.startsWith("image/") && typeof createImageBitmap === "function") {
    try {
      const bmp = await createImageBitmap(f);
      const { width, height } = bmp;
      bmp.close();
      if (Math.min(width, height) < IMAGE_MIN_SIDE || Math.max(width, height) > IMAGE_MAX_SIDE) return { problem: "dimensions", width, height };
    } catch {
      return { problem: "unreadable" };
    }
  }
  return null;
}

export { readBase64 as fileBase64 } from "./files";

/** A refusal's `field` matched exactly to a form slot, else by prefix ("documents[0]" → "documents"). */
export function fieldFor<T>(e: unknown, slots: Record<string, T>): T | null {
  if (!(e instanceof ApiError) || !e.field) return null;
  const f = e.field;
  if (slots[f]) return slots[f];
  const key = Object.keys(slots).sort((a, b) => b.length - a.length).find((k) => f.startsWith(`${k}.`) || f.startsWith(`${k}[`));
  return key ? slots[key] : null;
}

/** A duration as "3 h 20 min" / "2 d 4 h" (English; the console). */
export function ageText(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60000));
  if (min < 60) return `${min} min`;
  const hrs = Math.floor(min / 60);
  if (hrs < 48) return `${hrs} h ${min % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}
