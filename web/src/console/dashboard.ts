// Live dashboard: /web/api/console/dashboard each second, charted.
import { h, clear, every } from "../lib/dom";
import { get } from "../lib/api";
import { lineChart } from "../lib/chart";

export function dashboardPage(view: HTMLElement) {
  view.append(h("h1", {}, "Dashboard"));
  const tiles = h("div", { class: "tiles", "aria-live": "off" });
  const grid = h("div", { class: "dash-grid" });
  view.append(tiles, grid);
  const panel = (title: string, names: string[]) => {
    const el = h("div", { class: "chart small-chart", role: "img", "aria-label": title });
    grid.append(h("section", { class: "panel" }, h("h2", {}, title), el));
    return lineChart(el, names);
  };
  const ops = panel("Engine ops/s", ["ops/s"]);
  const lanes = panel("Lane depths", ["cancel", "money_out", "place"]);
  const journal = panel("Journal append (ms)", ["p50", "p99", "max"]);
  const request = panel("Request latency (ms)", ["p50", "p99"]);
  const refused = panel("Rejected / shed per s", ["rejected", "shed", "rate limited"]);
  const ws = panel("WebSocket connections", ["connections"]);
  let prev: any = null;
  const stop = every(1000, async () => {
    const d = await get<any>("/web/api/console/dashboard");
    const tS = Math.floor(d.ts_ms / 1000);
    const n = (x: unknown) => Number(x ?? 0);
    const dt = prev ? Math.max((d.ts_ms - prev.ts_ms) / 1000, 0.001) : 1;
    const rate = (k: string) => (prev ? Math.max(n(d[k]) - n(prev[k]), 0) / dt : 0);
    const opsPerS = prev ? Math.max(n(d.applied_seq) - n(prev.applied_seq), 0) / dt : 0;
    if (prev) ops.push(tS, [opsPerS]);
    lanes.push(tS, [n(d.lanes?.cancel), n(d.lanes?.money_out), n(d.lanes?.place)]);
    journal.push(tS, [n(d.journal_append_ms?.p50), n(d.journal_append_ms?.p99), n(d.journal_append_ms?.max)]);
    request.push(tS, [n(d.request_ms?.p50), n(d.request_ms?.p99)]);
    if (prev) refused.push(tS, [rate("rejected_total"), rate("shed_total"), rate("rate_limited_total")]);
    ws.push(tS, [n(d.ws_connections)]);
    const tile = (label: string, value: string) => h("div", { class: "tile" }, h("div", { class: "muted small" }, label), h("div", { class: "big" }, value));
    clear(tiles, tile("Applied seq", String(d.applied_seq)), tile("Ops/s", opsPerS.toFixed(1)), tile("Requests", String(d.requests_total)),
      tile("Journal p99", `${n(d.journal_append_ms?.p99).toFixed(2)} ms`), tile("Request p99", `${n(d.request_ms?.p99).toFixed(2)} ms`), tile("WebSockets", String(d.ws_connections)),
      d.support && [tile("Tickets open", String(n(d.support.open))), tile("Tickets at risk", String(n(d.support.at_risk))),
        tile("SLA breached", String(n(d.support.breached))), tile("Complaints open", String(n(d.support.complaints_open)))]);
    prev = d;
  });
  return stop;
}
