// Helpers of the browser tests: headless Debian chromium through playwright-core, loopback only.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHmac, randomBytes, randomInt } from "node:crypto";
import { deflateSync } from "node:zlib";
import assert from "node:assert/strict";

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

/** A phone's screen (an iPhone 12–15's CSS pixels), a small one (many Android phones' 360 CSS
 *  pixels) and the desktop the browser starts with. */
export const PHONE = { width: 390, height: 844 };
export const SMALL_PHONE = { width: 360, height: 800 };
export const DESKTOP = { width: 1400, height: 900 };

/** The page is no wider than the screen: nothing to scroll sideways (a wide table scrolls in itself). */
export async function fitsScreen(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide on a ${width} px screen`);
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

/** Staff login; waits out the per-address login limit (10 a minute in demo mode; every test
 *  file logs in from 127.0.0.1). */
export async function signIn(page, role) {
  const { email, password } = staffPassword(role);
  await logInAs(page, email, password, role);
}

/** Console login of any staff member, waiting out the per-address login limit as `signIn` does. */
export async function logInAs(page, email, password, role) {
  await page.goto(`${BASE}/console`);
  for (let attempt = 0; ; attempt++) {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    const who = page.getByText(`${email} (${role})`);
    const limited = page.getByText("too many attempts");
    await who.or(limited).first().waitFor({ timeout: 15000 });
    if (await who.count()) return;
    assert.ok(attempt < 12, "still rate-limited after a minute");
    await page.waitForTimeout(7000);
  }
}

/** A valid 8-bit RGB PNG of `w`×`h` whose rows `row(y)` gives (3·w bytes each), built here:
 *  signature, IHDR, IDAT, IEND with their CRCs. */
export function png(w, h, row) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const rows = [];
  for (let y = 0; y < h; y++) rows.push(Buffer.from([0]), row(y)); // filter byte + pixels
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0))]);
}


/** A valid PNG of `w`×`h` noise (RGB, so it does not compress below the upload minimum). */
export const noisePng = (w, h) => png(w, h, () => randomBytes(w * 3));

/** A Thai national ID with a right check digit (not starting with 9: the identity simulator refuses those). */
export function thaiId() {
  const d = [1 + randomInt(8), ...Array.from({ length: 11 }, () => randomInt(10))];
  const sum = d.reduce((s, x, i) => s + x * (13 - i), 0);
  return d.join("") + String((11 - (sum % 11)) % 10);
}
