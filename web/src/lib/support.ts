// Support tickets as /web/api/support/* and /web/api/console/support/* answer them (docs/web-api.md,
// "Support"), shared by the customer app and the console, and the mapping of a server refusal
// onto the form field it names.
import { ApiError } from "./api";

export const CATEGORIES = ["account", "deposit", "withdrawal", "trading", "kyc", "security", "other"] as const;
export const PRIORITIES = ["urgent", "high", "normal", "low"] as const;
export const STATUSES = ["open", "waiting_customer", "resolved", "closed"] as const;
export const COMPLAINT_STATUSES = ["received", "acknowledged", "investigating", "resolved", "rejected"] as const;
export const LINK_KINDS = ["order", "deposit", "withdrawal"] as const;

export type ClockState = "running" | "paused" | "at_risk" | "met" | "breached";

export interface Clock {
  state: ClockState;
  target_min: number;
  elapsed_min: number;
  remaining_min: number;
  due_ms: number | null;
}

export interface AttachmentInfo {
  id: number | string;
  name: string;
  content_type: string;
  size: number;
}

export interface Message {
  id: number | string;
  author: "customer" | "staff" | "system";
  text: string;
  ts_ms: number;
  internal?: boolean;
  staff_email?: string;
  attachments?: AttachmentInfo[];
}

export interface TicketEvent {
  ts_ms: number;
  actor: string | null;
  kind: string;
  from: unknown;
  to: unknown;
  detail: unknown;
}

export interface Complaint {
  status: string;
  reason: string | null;
  received_ms: number | null;
  acknowledged_ms: number | null;
  resolved_ms: number | null;
}

export interface Ticket {
  id: number | string;
  category: string;
  priority: string;
  subject: string;
  status: string;
  link: { kind: string; id: string | number } | null;
  complaint: Complaint | null;
  incident_id: number | string | null;
  assignee: unknown;
  created_ms: number;
  updated_ms: number;
  first_response_ms: number | null;
  resolved_ms: number | null;
  clocks: { first_response: Clock; resolution: Clock } | null;
  messages?: Message[];
  events?: TicketEvent[];
  customer_email?: string;
}

/** The field slot a refusal belongs in: `field` itself or its prefix ("attachments[0].data_base64"
 *  → "attachments", "link.id" → "link"); else the form's general message box. */
export function showRefusal(e: unknown, fields: Record<string, { error: (m: string | null) => void; input?: HTMLElement }>, box: HTMLElement): void {
  if (e instanceof ApiError && e.field) {
    const f = e.field;
    const key = Object.keys(fields).find((k) => f === k || f.startsWith(`${k}.`) || f.startsWith(`${k}[`) || f.startsWith(`${k}_`));
    if (key) {
      fields[key].error(e.message);
      fields[key].input?.focus();
      return;
    }
  }
  box.textContent = e instanceof ApiError ? e.message : String(e);
}

/** A scalar from an event's from/to/detail as text. */
export function plain(v: unknown): string {
  if (v === null || v === undefined || v === "") return "";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** The staff member a ticket is assigned to, however the server spells it (id, email, object). */
export function assigneeText(a: unknown): string {
  if (a === null || a === undefined) return "";
  if (typeof a === "object") {
    const o = a as Record<string, unknown>;
    return String(o.email ?? o.staff_email ?? o.id ?? JSON.stringify(a));
  }
  return String(a);
}

export function assigneeId(a: unknown): number | null {
  if (a === null || a === undefined) return null;
  if (typeof a === "number") return a;
  if (typeof a === "object") {
    const id = (a as Record<string, unknown>).id ?? (a as Record<string, unknown>).staff_id;
    return typeof id === "number" ? id : id !== undefined ? Number(id) : null;
  }
  return /^\d+$/.test(String(a)) ? Number(a) : null;
}
