// Verifies a proof-of-reserves inclusion proof (format talat-por-v1) in the browser, with
// nothing but WebCrypto's SHA-256 and BigInt, following docs/proof-of-reserves.md step by
// step, so a customer need not trust the exchange's own verifier. Amounts are decimal strings
// read as BigInt (JavaScript numbers are exact only below 2^53); every failed check says which.

export interface PorRoot { hash_hex: string; totals: string[]; leaf_count: number; assets: string[] }
export interface PorStep { side: "left" | "right"; hash_hex: string; sums: string[] }
export interface PorProof { format: string; account_id: string; salt_hex: string; balances: string[]; path: PorStep[]; root: PorRoot }

export type PorCheck =
  | { ok: true; accountId: string; balances: bigint[]; leafIndex: number; root: PorRoot }
  | { ok: false; reason: string };

export const POR_FORMAT = "talat-por-v1";
const MAX_LEAVES = 1 << 24;
const MAX_ASSETS = 64;
const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;
const AMOUNT_BYTES = 16;

class Refused extends Error {}
function refuse(reason: string): never { throw new Refused(reason); }

/** A decimal string (digits only, no sign, no leading zeros) at most `max`. */
function amount(field: string, text: unknown, max: bigint): bigint {
  if (typeof text !== "string") refuse(`${field} must be a decimal string`);
  const s = text as string;
  if (s.startsWith("-")) refuse(`amount "${s}" is negative`);
  if (!/^(0|[1-9][0-9]*)$/.test(s)) refuse(`${field} "${s}" is not a decimal amount`);
  const v = BigInt(s);
  if (v > max) refuse(`${field} ${s} is above ${max}`);
  return v;
}

function hexBytes(field: string, text: unknown, bytes: number): Uint8Array {
  if (typeof text !== "string" || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) refuse(`${field} must be ${bytes} bytes of hex`);
  const s = text as string;
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An amount as 16 bytes, unsigned big-endian. */
function be16(v: bigint): Uint8Array {
  const out = new Uint8Array(AMOUNT_BYTES);
  for (let i = AMOUNT_BYTES - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function be8(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v));
  return out;
}

async function sha256(parts: Uint8Array[]): Promise<Uint8Array> {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(len);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Levels above the leaves in a tree of `leafCount` leaves. */
export function depth(leafCount: number): number {
  let width = leafCount, levels = 0;
  while (width > 1) { width = Math.ceil(width / 2); levels++; }
  return levels;
}

function checkAssets(assets: unknown): string[] {
  if (!Array.isArray(assets) || assets.length < 1 || assets.length > MAX_ASSETS) refuse(`the asset list must hold 1 to ${MAX_ASSETS} codes`);
  const codes = assets as unknown[];
  codes.forEach((c, i) => {
    if (typeof c !== "string" || !/^[A-Z0-9]{1,16}$/.test(c)) refuse(`asset ${i} must be 1 to 16 characters of A-Z and 0-9`);
    if (codes.indexOf(c) !== i) refuse(`asset ${c} is listed twice`);
  });
  return codes as string[];
}

function amounts(field: string, list: unknown, n: number, max: bigint): bigint[] {
  if (!Array.isArray(list) || list.length !== n) refuse(`${field} must hold one amount per asset (${n})`);
  return (list as unknown[]).map((x, i) => amount(`${field}[${i}]`, x, max));
}

/** Checks `proof` on its own (steps 1 to 5 of the document): its balances are counted in the
 *  totals of the root it carries. Whether that root is the published one is [`verifyPublished`]'s. */
export async function verifyProof(proof: PorProof): Promise<PorCheck> {
  try {
    return await check(proof);
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message };
    throw e;
  }
}

async function check(proof: PorProof): Promise<PorCheck> {
  // 1. Shape: format, assets, one amount per asset, the leaf count, the path's length.
  if (!proof || typeof proof !== "object") refuse("the proof is not a JSON object");
  if (proof.format !== POR_FORMAT) refuse(`unknown format ${JSON.stringify(proof.format)}: this page checks ${POR_FORMAT}`);
  const root = proof.root;
  if (!root || typeof root !== "object") refuse("the proof has no root");
  const assets = checkAssets(root.assets);
  const n = assets.length;
  const balances = amounts("balances", proof.balances, n, U64_MAX);
  const totals = amounts("root.totals", root.totals, n, U128_MAX);
  const leafCount = root.leaf_count;
  if (!Number.isInteger(leafCount) || leafCount < 1 || leafCount > MAX_LEAVES) refuse(`leaf_count must be 1 to ${MAX_LEAVES}`);
  if (!Array.isArray(proof.path) || proof.path.length !== depth(leafCount)) {
    refuse(`a tree of ${leafCount} leaves has ${depth(leafCount)} path steps, the proof has ${Array.isArray(proof.path) ? proof.path.length : "none"}`);
  }
  const accountId = amount("account_id", proof.account_id, U64_MAX).toString();
  const salt = hexBytes("salt_hex", proof.salt_hex, 32);

  // 2. The leaf's position from the sides; a sibling past the end of its level is the padding.
  let position = 0;
  proof.path.forEach((step, i) => {
    if (step?.side !== "left" && step?.side !== "right") refuse(`path step ${i}: side must be "left" or "right"`);
    if (step.side === "left") position += 2 ** i;
  });
  if (position >= leafCount) refuse(`the path's sides put the leaf at position ${position}, past the ${leafCount} leaves`);
  const zeros = new Array<bigint>(n).fill(0n);
  const padding = await sha256([Uint8Array.of(0x00), new Uint8Array(32), ...zeros.map(be16)]);

  // 3. The leaf.
  const saltedId = await sha256([salt, new TextEncoder().encode(accountId)]);
  let current = await sha256([Uint8Array.of(0x00), saltedId, ...balances.map(be16)]);
  const sums = [...balances];

  // 4. Each step up: hash the pair in the order the side says, add the sibling's sums (checked).
  let width = leafCount, at = position;
  for (let i = 0; i < proof.path.length; i++) {
    const step = proof.path[i];
    const sibling = hexBytes(`path step ${i} hash_hex`, step.hash_hex, 32);
    const siblingSums = amounts(`path step ${i} sums`, step.sums, n, U128_MAX);
    if ((at ^ 1) >= width && (!sameBytes(sibling, padding) || siblingSums.some((s) => s !== 0n))) {
      refuse(`path step ${i}: the sibling lies past the end of its level, so it must be the padding node (hash ${toHex(padding)}, sums 0)`);
    }
    const mine = [current, ...sums.map(be16)], theirs = [sibling, ...siblingSums.map(be16)];
    current = await sha256([Uint8Array.of(0x01), ...(step.side === "right" ? [...mine, ...theirs] : [...theirs, ...mine])]);
    for (let a = 0; a < n; a++) {
      sums[a] += siblingSums[a];
      if (sums[a] > U128_MAX) refuse(`path step ${i}: the ${assets[a]} sum overflows 128 bits`);
    }
    width = Math.ceil(width / 2);
    at = Math.floor(at / 2);
  }

  // 5. The sums are the totals, and the root encoding is the root hash.
  for (let a = 0; a < n; a++) {
    if (sums[a] !== totals[a]) {
      refuse(`${assets[a]} total mismatch: the balances and the path's sibling sums add up to ${sums[a]}, the root publishes ${totals[a]}`);
    }
  }
  const codes = assets.flatMap((c) => [Uint8Array.of(c.length), new TextEncoder().encode(c)]);
  const rootHash = await sha256([Uint8Array.of(0x02, n), ...codes, be8(leafCount), current, ...totals.map(be16)]);
  if (!sameBytes(rootHash, hexBytes("root.hash_hex", root.hash_hex, 32))) refuse(`root hash mismatch: the proof computes ${toHex(rootHash)}, it claims ${root.hash_hex}`);
  return { ok: true, accountId, balances, leafIndex: position, root };
}

/** [`verifyProof`], then step 6: the proof's root must be the one the exchange published. */
export async function verifyPublished(proof: PorProof, published: PorRoot): Promise<PorCheck> {
  const result = await verifyProof(proof);
  if (!result.ok) return result;
  const r = result.root;
  const same = r.hash_hex.toLowerCase() === String(published.hash_hex).toLowerCase() && r.leaf_count === published.leaf_count
    && JSON.stringify(r.totals) === JSON.stringify(published.totals) && JSON.stringify(r.assets) === JSON.stringify(published.assets);
  return same ? result : { ok: false, reason: `the proof checks out against root ${r.hash_hex}, which is not the published root ${published.hash_hex}` };
}
