// Amounts and prices as the customer reads them: grouped and padded to their asset's decimals
// (BTC 8: 0.01500000; THB 2: 1,234.50) or their market's price decimals. The scales come from
// /web/api/status (the app's state feeds them in with `learnScales`); a value is only ever
// padded, never rounded: one with more decimals than its scale shows every digit it has.
import { num } from "./i18n";
import { decOf } from "./dec";

const assetScales = new Map<string, number>();
const priceScales = new Map<string, number>();

/** The scales the server listed: each asset's decimals and each market's price decimals. */
export function learnScales(assets: { asset: string; scale: number }[] | undefined, markets: { symbol: string; price_scale?: number }[] | undefined): void {
  for (const a of assets ?? []) assetScales.set(a.asset, a.scale);
  for (const m of markets ?? []) if (typeof m.price_scale === "number") priceScales.set(m.symbol, m.price_scale);
}

/** A decimal (string, or a JSON number) grouped and padded to `scale` (unknown: as it is). */
function padded(value: unknown, scale: number | undefined): string {
  if (value === undefined || value === null || value === "") return "—";
  return num(decOf(value), scale ?? 0);
}

/** An amount of `asset` ("0.015", "BTC" → "0.01500000"). */
export function amount(value: unknown, asset: string): string {
  return padded(value, assetScales.get(asset));
}

/** An amount with its unit ("0.015", "BTC" → "0.01500000 BTC"). */
export function coin(value: unknown, asset: string): string {
  return `${amount(value, asset)} ${asset}`;
}

/** A price of market `symbol` ("3500000", "BTC_THB" → "3,500,000.00"). */
export function price(value: unknown, symbol: string): string {
  return padded(value, priceScales.get(symbol));
}
