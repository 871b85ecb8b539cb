// Charts: lightweight-charts for candles and time series (its attribution logo is kept on), a
// small canvas for the depth chart.
import { createChart, CandlestickSeries, LineSeries, HistogramSeries, LineType, ColorType, TickMarkType, type IChartApi, type UTCTimestamp, type Time } from "lightweight-charts";

export const chartLayout = {
  layout: { background: { type: ColorType.Solid, color: "#131722" }, textColor: "#c9d1d9", attributionLogo: true },
  grid: { vertLines: { color: "#1f2430" }, horzLines: { color: "#1f2430" } },
  timeScale: { timeVisible: true, secondsVisible: false },
};

// Bangkok wall-clock time on a chart's axis and crosshair, whatever the browser's zone (times
// are UTC seconds; floats here are for drawing only).
const bangkokTime = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Bangkok", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const bangkokDay = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Bangkok", day: "numeric", month: "short" });
const bangkokFull = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Bangkok", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const secondsOf = (t: Time) => (typeof t === "number" ? t : Date.parse(typeof t === "string" ? t : `${t.year}-${t.month}-${t.day}`) / 1000);

/** Candles with Bangkok time on the axis (ICT) and prices grouped at the market's scale. */
export function candleChart(el: HTMLElement, priceScale = 2) {
  const price = new Intl.NumberFormat("en-US", { minimumFractionDigits: priceScale, maximumFractionDigits: priceScale });
  const chart = createChart(el, {
    ...chartLayout,
    autoSize: true,
    localization: { timeFormatter: (t: Time) => `${bangkokFull.format(secondsOf(t) * 1000)} ICT`, priceFormatter: (p: number) => price.format(p) },
    timeScale: {
      ...chartLayout.timeScale,
      tickMarkFormatter: (t: Time, type: TickMarkType) => (type <= TickMarkType.DayOfMonth ? bangkokDay : bangkokTime).format(secondsOf(t) * 1000),
    },
  });
  const series = chart.addSeries(CandlestickSeries, { upColor: "#26a69a", downColor: "#ef5350", borderVisible: false, wickUpColor: "#26a69a", wickDownColor: "#ef5350" });
  return { chart, series };
}

/** A time-series chart with named lines; `push(t, values)` appends one point per line. */
export function lineChart(el: HTMLElement, names: string[]) {
  const colors = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8"];
  const chart: IChartApi = createChart(el, { ...chartLayout, autoSize: true, timeScale: { timeVisible: true, secondsVisible: true } });
  const lines = names.map((title, i) => chart.addSeries(LineSeries, { color: colors[i % colors.length], lineWidth: 2, title }));
  let last = 0;
  return {
    chart,
    push(tSec: number, values: number[]) {
      if (tSec <= last) return;
      last = tSec;
      values.forEach((v, i) => lines[i].update({ time: tSec as UTCTimestamp, value: v }));
    },
  };
}

/** "09:30" from minutes of the day. */
export const hhmm = (min: number) => `${String(Math.floor(min / 60) % 24).padStart(2, "0")}:${String(min % 60).padStart(2, "0")}`;

/** Values per interval of one day (time axis: minutes of the day, shown as HH:MM): each series a
 *  histogram (bars) or a stepped line. `set` replaces every series' points. */
export function dayChart(el: HTMLElement, series: { title: string; kind: "histogram" | "step"; color: string }[]) {
  const fmt = (t: Time) => hhmm(Math.round(Number(t) / 60) % 1440); // day 2 of 1970: time 0 is avoided
  const chart: IChartApi = createChart(el, {
    ...chartLayout, autoSize: true,
    timeScale: { timeVisible: true, secondsVisible: false, tickMarkFormatter: fmt, fixLeftEdge: true, fixRightEdge: true },
    localization: { timeFormatter: fmt },
  });
  const added = series.map((s) => s.kind === "histogram"
    ? chart.addSeries(HistogramSeries, { color: s.color, title: s.title, priceFormat: { type: "price", precision: 0, minMove: 1 } })
    : chart.addSeries(LineSeries, { color: s.color, title: s.title, lineWidth: 2, lineType: LineType.WithSteps, priceFormat: { type: "price", precision: 0, minMove: 1 } }));
  return {
    chart,
    set(points: { minute: number; values: number[] }[]) {
      added.forEach((line, i) => line.setData(points.map((p) => ({ time: (86400 + p.minute * 60) as UTCTimestamp, value: p.values[i] }))));
      chart.timeScale().fitContent();
    },
  };
}

/** Bars per category (lightweight-charts has a time axis only: category i sits at day i + 2, its
 *  label shown for the time). The series overlap, the later drawn in front: e.g. capacity
 *  behind, used in front. `set` replaces every category. */
export function barChart(el: HTMLElement, series: { title: string; color: string }[]) {
  let labels: string[] = [];
  const at = (t: Time) => labels[Math.round(Number(t) / 86400) - 2] ?? "";
  const chart: IChartApi = createChart(el, {
    ...chartLayout, autoSize: true,
    timeScale: { timeVisible: false, tickMarkFormatter: at, fixLeftEdge: true, fixRightEdge: true, barSpacing: 60 },
    localization: { timeFormatter: at },
  });
  const added = series.map((s) => chart.addSeries(HistogramSeries, { color: s.color, title: s.title, priceFormat: { type: "price", precision: 1, minMove: 0.1 } }));
  return {
    chart,
    set(points: { label: string; values: number[] }[]) {
      labels = points.map((p) => p.label);
      added.forEach((bars, i) => bars.setData(points.map((p, j) => ({ time: ((j + 2) * 86400) as UTCTimestamp, value: p.values[i] }))));
      chart.timeScale().fitContent();
    },
  };
}

/** One bar per day (time "YYYY-MM-DD", the axis shows dates), each bar in its own colour when
 *  given. `set` replaces the bars (ascending, one per day). Floats: display only. */
export function dateBarChart(el: HTMLElement, title: string) {
  const chart: IChartApi = createChart(el, { ...chartLayout, autoSize: true, timeScale: { timeVisible: false, fixLeftEdge: true, fixRightEdge: true } });
  const bars = chart.addSeries(HistogramSeries, { color: "#4fc3f7", title, priceFormat: { type: "price", precision: 2, minMove: 0.01 } });
  return {
    chart,
    set(points: { date: string; value: number; color?: string }[]) {
      bars.setData(points.map((p) => ({ time: p.date as Time, value: p.value, color: p.color })));
      chart.timeScale().fitContent();
    },
  };
}

/** Cumulative bids (green, left) and asks (red, right) on a canvas. Floats: display only. */
export function drawDepth(canvas: HTMLCanvasElement, bids: [number, number][], asks: [number, number][]): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300, hgt = canvas.clientHeight || 160;
  canvas.width = w * dpr;
  canvas.height = hgt * dpr;
  const g = canvas.getContext("2d")!;
  g.scale(dpr, dpr);
  g.fillStyle = "#131722";
  g.fillRect(0, 0, w, hgt);
  if (!bids.length && !asks.length) return;
  const cum = (rows: [number, number][]) => {
    let s = 0;
    return rows.map(([p, q]) => [p, (s += q)] as [number, number]);
  };
  const b = cum(bids), a = cum(asks);
  const prices = [...b, ...a].map((r) => r[0]);
  const lo = Math.min(...prices), hi = Math.max(...prices);
  const top = Math.max(...[...b, ...a].map((r) => r[1]), 1e-12);
  const x = (p: number) => (hi === lo ? w / 2 : ((p - lo) / (hi - lo)) * (w - 20) + 10);
  const y = (q: number) => hgt - 18 - (q / top) * (hgt - 28);
  const area = (rows: [number, number][], stroke: string, fill: string) => {
    if (!rows.length) return;
    g.beginPath();
    g.moveTo(x(rows[0][0]), hgt - 18);
    for (const [p, q] of rows) g.lineTo(x(p), y(q));
    g.lineTo(x(rows[rows.length - 1][0]), hgt - 18);
    g.closePath();
    g.fillStyle = fill;
    g.fill();
    g.strokeStyle = stroke;
    g.stroke();
  };
  area(b, "#26a69a", "rgba(38,166,154,0.25)");
  area(a, "#ef5350", "rgba(239,83,80,0.25)");
  g.fillStyle = "#8b949e";
  g.font = "11px sans-serif";
  g.fillText(lo.toLocaleString(), 4, hgt - 4);
  const hiText = hi.toLocaleString();
  g.fillText(hiText, w - g.measureText(hiText).width - 4, hgt - 4);
}

/** lightweight-charts draws a UTCTimestamp as UTC: times shifted by this show Bangkok's clock. */
export const BANGKOK_SHIFT_S = 7 * 3600;

/** Candles with volume bars beneath (their own scale, the lower fifth), in Bangkok time. Each
 *  bar: start time in ms and decimal strings (floats: display only). `set` replaces the bars. */
export function priceVolumeChart(el: HTMLElement) {
  const { chart, series } = candleChart(el);
  chart.applyOptions({ timeScale: { timeVisible: true, secondsVisible: true } });
  const volume = chart.addSeries(HistogramSeries, { color: "#4fc3f788", priceScaleId: "volume", priceFormat: { type: "volume" }, title: "volume" });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  series.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
  return {
    chart,
    set(bars: { t_ms: number; open: string; high: string; low: string; close: string; volume: string }[]) {
      const time = (ms: number) => (Math.floor(ms / 1000) + BANGKOK_SHIFT_S) as UTCTimestamp;
      series.setData(bars.map((b) => ({ time: time(b.t_ms), open: +b.open, high: +b.high, low: +b.low, close: +b.close })));
      volume.setData(bars.map((b) => ({ time: time(b.t_ms), value: +b.volume, color: +b.close >= +b.open ? "#26a69a88" : "#ef535088" })));
      chart.timeScale().fitContent();
    },
  };
}
