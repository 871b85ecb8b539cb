// Attachments of support messages: files chosen in an <input type=file>, checked here for what
// the server accepts (type, size, count) so the customer gets a readable message before sending,
// then read as base64 with FileReader. The server checks again (and the bytes, not only the type).

export const ATTACH_TYPES = ["image/png", "image/jpeg", "application/pdf", "text/plain"];
export const ATTACH_MAX = 3;
export const ATTACH_MAX_BYTES = 2 * 1024 * 1024;

export interface Attachment {
  name: string;
  content_type: string;
  data_base64: string;
}

/** Why these files cannot be sent, in English (the caller translates the parts), or null. */
export function checkFiles(files: File[]): { problem: "count" | "type" | "size"; name?: string } | null {
  if (files.length > ATTACH_MAX) return { problem: "count" };
  for (const f of files) {
    if (!ATTACH_TYPES.includes(typeOf(f))) return { problem: "type", name: f.name };
    if (f.size > ATTACH_MAX_BYTES) return { problem: "size", name: f.name };
  }
  return null;
}

/** The type the browser reports, or one guessed from the name (some systems leave it empty). */
function typeOf(f: File): string {
  if (f.type) return f.type === "image/jpg" ? "image/jpeg" : f.type;
  const ext = f.name.toLowerCase().split(".").pop() ?? "";
  return ({ png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", pdf: "application/pdf", txt: "text/plain" } as Record<string, string>)[ext] ?? "";
}

/** A file's bytes as base64 (what the JSON API takes for uploads). */
export function readBase64(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const url = String(r.result ?? "");
      resolve(url.slice(url.indexOf(",") + 1)); // "data:<type>;base64,<data>"
    };
    r.onerror = () => reject(r.error ?? new Error(`cannot read ${f.name}`));
    r.readAsDataURL(f);
  });
}

export async function readAttachments(files: File[]): Promise<Attachment[]> {
  return Promise.all(files.map(async (f) => ({ name: f.name, content_type: typeOf(f), data_base64: await readBase64(f) })));
}

/** "12 KB", "1.5 MB": a file size for people. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
