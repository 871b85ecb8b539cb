// Helpers of the browser tests: headless Debian chromium through playwright-core, loopback only.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHmac } from "node:crypto";

export const BASE = process.env.TALAT_URL ?? "http://127.0.0.1:8080";
export const SHOTS = process.env.TALAT_SCREENSHOTS ?? "";

/** A fresh browser profile; every request off 127.0.0.1 is aborted and recorded. */
export async function browser() {
  const dir = mkdtempSync(join(tmpdir(), "talat-e2e-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 900 },
    locale: "en-GB",
  });
  const offsite = [];
  await context.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === "127.0.0.1" || host === "localhost") return route.continue();
    offsite.push(route.request().url());
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  return {
    context, page, offsite, errors,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every request the page sends that is not a GET (what a form would send). */
export function recordWrites(page) {
  const writes = [];
  page.on("request", (r) => { if (r.method() !== "GET") writes.push(`${r.method()} ${r.url()}`); });
  return writes;
}

export async function shot(page, name) {
  if (!SHOTS) return;
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret at step `step`. */
export function totp(secret, step = Math.floor(Date.now() / 30000)) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").replace(/\s/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Demo staff passwords by role: from TALAT_STAFF (JSON) or `<data>/demo.json`. */
/** Logs out, then back in with the password and a TOTP code. A code is good once: it waits for
 *  the next time step if the one used to enable 2FA (`enabledStep`) is still current. */
export async function reloginWithTotp(page, email, password, secret, enabledStep) {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("button", { name: "Log in" }).waitFor();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("2FA code").waitFor({ state: "visible" });
  while (Math.floor(Date.now() / 30000) === enabledStep) await page.waitForTimeout(500);
  await page.getByLabel("2FA code").fill(totp(secret));
  await page.getByRole("button", { name: "Log in" }).click();
}

export function staffPassword(role) {
  const email = `${role}@talat.local`;
  const sources = [];
  if (process.env.TALAT_STAFF) sources.push(JSON.parse(process.env.TALAT_STAFF));
  for (const f of ["demo-staff.json", "demo.json"]) if (process.env.TALAT_DATA && existsSync(join(process.env.TALAT_DATA, f))) sources.push(JSON.parse(readFileSync(join(process.env.TALAT_DATA, f), "utf8")));
  const find = (v) => {
    if (!v || typeof v !== "object") return undefined;
    if (Array.isArray(v)) { for (const x of v) { const f = find(x); if (f) return f; } return undefined; }
    if (v.email === email && typeof v.password === "string") return v.password;
    if (typeof v[email] === "string") return v[email];
    for (const x of Object.values(v)) { const f = find(x); if (f) return f; }
    return undefined;
  };
  for (const s of sources) { const p = find(s); if (p) return { email, password: p }; }
  throw new Error(`no demo password for ${email} (TALAT_STAFF or TALAT_DATA/demo.json)`);
}

/** "1234567.5" → "1,234,567.5", as the app prints decimals. */
export function grouped(s) {
  const [i, f] = s.split(".");
  return i.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (f ? "." + f : "");
}

/** Units of a decimal string at `scale`. */
export const units = (s, scale) => { const [i, f = ""] = String(s).split("."); return BigInt(i + f.padEnd(scale, "0").slice(0, scale)); };
export const fromUnits = (u, scale) => { const d = u.toString().padStart(scale + 1, "0"); const f = d.slice(d.length - scale).replace(/0+$/, ""); return d.slice(0, d.length - scale) + (scale && f ? "." + f : ""); };
