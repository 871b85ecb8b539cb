// Exact decimal strings for money: parsing, step checks and products with BigInt, never floats.

const DEC = /^\d+(\.\d+)?$/;

/** Whether `s` is a plain non-negative decimal ("12", "0.005"). */
export function isDec(s: string): boolean {
  return DEC.test(s.trim());
}

function fracLen(s: string): number {
  const i = s.indexOf(".");
  return i < 0 ? 0 : s.length - i - 1;
}

/** Units of `s` at `scale` decimals, or null when `s` has non-zero digits beyond `scale`. */
export function toUnits(s: string, scale: number): bigint | null {
  s = s.trim();
  if (!isDec(s)) return null;
  const [int, frac = ""] = s.split(".");
  const extra = frac.slice(scale);
  if (/[1-9]/.test(extra)) return null;
  return BigInt(int + frac.slice(0, scale).padEnd(scale, "0"));
}

/** `units` at `scale` decimals as a string, trailing zeros kept to `minFrac`. */
export function fromUnits(units: bigint, scale: number, minFrac = 0): string {
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString().padStart(scale + 1, "0");
  let int = digits.slice(0, digits.length - scale);
  let frac = scale > 0 ? digits.slice(digits.length - scale) : "";
  while (frac.length > minFrac && frac.endsWith("0")) frac = frac.slice(0, -1);
  return (neg ? "-" : "") + int + (frac ? "." + frac : "");
}

/** Decimals of a decimal string. */
export function scaleOf(s: string): number {
  return fracLen(s.trim());
}

/** Whether `value` is a whole multiple of `step` (both decimal strings). */
export function isMultipleOf(value: string, step: string): boolean {
  const scale = Math.max(scaleOf(value), scaleOf(step));
  const v = toUnits(value, scale), st = toUnits(step, scale);
  if (v === null || st === null || st === 0n) return false;
  return v % st === 0n;
}

/** a × b, exact. */
export function mul(a: string, b: string): string {
  const sa = scaleOf(a), sb = scaleOf(b);
  return fromUnits(toUnits(a, sa)! * toUnits(b, sb)!, sa + sb);
}

/** a × ppm / 1 000 000, exact. */
export function mulPpm(a: string, ppm: number): string {
  const sa = scaleOf(a);
  return fromUnits(toUnits(a, sa)! * BigInt(ppm), sa + 6);
}

/** a + b or a − b, exact. */
export function add(a: string, b: string, sign: 1 | -1 = 1): string {
  const s = Math.max(scaleOf(a.replace("-", "")), scaleOf(b.replace("-", "")));
  const u = (x: string) => (x.startsWith("-") ? -toUnits(x.slice(1), s)! : toUnits(x, s)!);
  return fromUnits(u(a) + BigInt(sign) * u(b), s);
}

/** −1, 0 or 1. */
export function cmp(a: string, b: string): number {
  const s = Math.max(scaleOf(a), scaleOf(b));
  const x = toUnits(a, s)!, y = toUnits(b, s)!;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Rounds `s` down to `scale` decimals (for display of exact products). */
export function floorTo(s: string, scale: number): string {
  const neg = s.startsWith("-");
  const body = neg ? s.slice(1) : s;
  const [int, frac = ""] = body.split(".");
  const t = frac.slice(0, scale);
  return (neg ? "-" : "") + int + (t && /[1-9]/.test(t) ? "." + t.replace(/0+$/, "") : "");
}

/** A JSON number or string from the server as a decimal string ("1e-8" expanded). */
export function decOf(x: unknown): string {
  if (typeof x === "string") return x;
  if (typeof x !== "number" || !isFinite(x)) return "0";
  let s = String(x);
  if (/e/i.test(s)) s = x.toFixed(12).replace(/\.?0+$/, "");
  return s;
}
