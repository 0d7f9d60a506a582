// Small SVG charts for result files: bars with error bars, scatter against the diagonal,
// lines (loss curves). Drawn here rather than by a charting library: they are a few
// hundred lines, need no runtime requests, and print as crisp vectors.
import { formatNumber } from "./table";

const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
// scatter groups beyond the palette change marker shape: 10 colours × 4 shapes tell 40 groups apart
const SHAPES = ["circle", "square", "triangle", "diamond"] as const;

function marker(shape: (typeof SHAPES)[number], cx: number, cy: number, r: number, attrs: Record<string, string | number>): SVGElement {
  if (shape === "circle") return el("circle", { cx, cy, r, ...attrs });
  const d =
    shape === "square"
      ? `M${cx - r * 0.85},${cy - r * 0.85}h${1.7 * r}v${1.7 * r}h${-1.7 * r}Z`
      : shape === "triangle"
        ? `M${cx},${cy - r * 1.1}L${cx + r},${cy + r * 0.8}L${cx - r},${cy + r * 0.8}Z`
        : `M${cx},${cy - r * 1.15}L${cx + r},${cy}L${cx},${cy + r * 1.15}L${cx - r},${cy}Z`;
  return el("path", { d, ...attrs });
}

// Legend text width, roughly: 6.2 px per character at the plots' 11 px font.
const textWidth = (s: string) => 6.2 * s.length;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgRoot(width: number, height: number, title: string): SVGSVGElement {
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "plot" });
  svg.append(el("title", {}, title));
  return svg;
}

function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
  const err = ((hi - lo) / n) / step;
  const s = step * (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1);
  const out: number[] = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-12 * Math.abs(hi); v += s) out.push(Math.abs(v) < s * 1e-9 ? 0 : v);
  return out;
}

export interface Bar {
  label: string;
  value: number;
  error?: number;  // NaN or missing: no standard error (drawn as an open marker)
}

export type Scale = "linear" | "log";

// The magnitude below which a signed log axis is linear: a tenth of the median nonzero |value|.
function logKnee(values: number[]): number {
  const mags = values.map(Math.abs).filter((v) => v > 0 && isFinite(v)).sort((a, b) => a - b);
  return mags.length ? mags[Math.floor(mags.length / 2)] / 10 : 1;
}

// Whether a linear axis would squash most bars: the largest magnitude is over 50 times the median.
export function suggestScale(values: number[]): Scale {
  const mags = values.map(Math.abs).filter((v) => v > 0 && isFinite(v)).sort((a, b) => a - b);
  if (mags.length < 3) return "linear";
  return mags[mags.length - 1] > 50 * mags[Math.floor(mags.length / 2)] ? "log" : "linear";
}

// A horizontal value axis over [left, width - right] that takes in `values` and 0, linear or
// signed log (log10(1 + |v| / knee)): grid lines, tick labels and the axis label drawn into
// `svg` between `top` and `bottom`; returns the value → x mapping.
// The knee comes from `kneeFrom` (the values themselves when not given).
function valueAxis(svg: SVGSVGElement, values: number[], scale: Scale, unit: string, box: { left: number; right: number; width: number; top: number; bottom: number }, kneeFrom = values): (v: number) => number {
  const knee = logKnee(kneeFrom);
  const f = scale === "log" ? (v: number) => Math.sign(v) * Math.log10(1 + Math.abs(v) / knee) : (v: number) => v;
  const ends = values.map(f).filter(isFinite);
  const lo = Math.min(0, ...ends);
  const hi = Math.max(0, ...ends);
  const x = (v: number) => box.left + ((f(v) - lo) / (hi - lo || 1)) * (box.width - box.left - box.right);
  let tickValues: number[];
  if (scale === "log") {
    // 0 and the powers of ten above the knee, on each side that has values
    tickValues = [0];
    for (let p = Math.ceil(Math.log10(knee)); p <= 15; p++) {
      const t = Math.pow(10, p);
      if (f(t) <= hi + 1e-9) tickValues.push(t);
      if (-f(t) >= lo - 1e-9) tickValues.push(-t);
    }
  } else tickValues = ticks(lo, hi);
  for (const t of tickValues) {
    svg.append(el("line", { x1: x(t), x2: x(t), y1: box.top - 4, y2: box.bottom, class: "grid" }));
    svg.append(el("text", { x: x(t), y: box.bottom + 14, "text-anchor": "middle", class: "tick" }, formatNumber(t)));
  }
  const axisText = [unit, scale === "log" ? "(signed log scale)" : ""].filter(Boolean).join(" ");
  if (axisText) svg.append(el("text", { x: box.width - box.right, y: box.bottom + 28, "text-anchor": "end", class: "axis-label" }, axisText));
  return x;
}

// Horizontal bars, one per label, with ± error whiskers. On the signed log scale a bar's length
// is log10(1 + |v| / knee): fluxes of 1 and of 1000 are both readable.
export function barChart(bars: Bar[], title: string, unit = "", scale: Scale = "linear"): SVGSVGElement {
  const rowH = 18;
  const left = 150;
  const right = 40;
  const width = 720;
  const top = 28;
  const missing = bars.some((b) => b.error !== undefined && !isFinite(b.error));
  const height = top + bars.length * rowH + 34 + (missing ? 16 : 0);
  const axisBottom = top + bars.length * rowH + 4;
  const svg = svgRoot(width, height, title);
  const err = (b: Bar) => (b.error !== undefined && isFinite(b.error) && b.error > 0 ? b.error : 0);
  const box = { left, right, width, top, bottom: axisBottom };
  const x = valueAxis(svg, bars.flatMap((b) => [b.value - err(b), b.value + err(b)]), scale, unit, box, bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const x0 = Math.min(x(b.value), x(0));
    const w = Math.max(1, Math.abs(x(b.value) - x(0)));
    svg.append(el("text", { x: left - 6, y: y + rowH * 0.7, "text-anchor": "end", class: "label" }, b.label.length > 22 ? b.label.slice(0, 21) + "…" : b.label));
    const rect = el("rect", { x: x0, y: y + 3, width: w, height: rowH - 6, fill: b.value < 0 ? PALETTE[1] : PALETTE[0], class: "bar" });
    const se = b.error === undefined ? "" : isFinite(b.error) ? ` ± ${formatNumber(b.error)}` : " (no standard error)";
    rect.append(el("title", {}, `${b.label}: ${formatNumber(b.value)}${se}`));
    svg.append(rect);
    const ym = y + rowH / 2;
    if (err(b) > 0) {
      svg.append(el("line", { x1: x(b.value - b.error!), x2: x(b.value + b.error!), y1: ym, y2: ym, class: "whisker" }));
      for (const v of [b.value - b.error!, b.value + b.error!]) svg.append(el("line", { x1: x(v), x2: x(v), y1: ym - 4, y2: ym + 4, class: "whisker" }));
    } else if (b.error !== undefined && !isFinite(b.error)) {
      // no standard error: an open diamond past the bar's end
      const xe = x(b.value) + (b.value < 0 ? -8 : 8);
      const d = el("path", { d: `M${xe},${ym - 4}L${xe + 4},${ym}L${xe},${ym + 4}L${xe - 4},${ym}Z`, class: "no-error" });
      d.append(el("title", {}, `${b.label}: no standard error`));
      svg.append(d);
    }
  });
  if (missing) {
    const yl = axisBottom + 30;
    svg.append(el("path", { d: `M${left},${yl - 4}L${left + 4},${yl}L${left},${yl + 4}L${left - 4},${yl}Z`, class: "no-error" }));
    svg.append(el("text", { x: left + 9, y: yl + 4, class: "label" }, "no standard error (NA in the file)"));
  }
  svg.append(el("line", { x1: x(0), x2: x(0), y1: top - 4, y2: axisBottom, class: "axis" }));
  return svg;
}

export interface Range {
  label: string;
  lo: number;
  hi: number;
}

// Horizontal floating bars, one per label, from its minimum to its maximum (flux variability).
export function rangeChart(ranges: Range[], title: string, unit = "", scale: Scale = "linear"): SVGSVGElement {
  const rowH = 16;
  const left = 150;
  const right = 40;
  const width = 720;
  const top = 24;
  const axisBottom = top + ranges.length * rowH + 4;
  const svg = svgRoot(width, axisBottom + 34, title);
  const x = valueAxis(svg, ranges.flatMap((r) => [r.lo, r.hi]), scale, unit, { left, right, width, top, bottom: axisBottom });
  ranges.forEach((r, i) => {
    const y = top + i * rowH;
    svg.append(el("text", { x: left - 6, y: y + rowH * 0.72, "text-anchor": "end", class: "label" }, r.label.length > 22 ? r.label.slice(0, 21) + "…" : r.label));
    const x0 = x(r.lo);
    const point = x(r.hi) - x0 < 3;  // a fixed flux: a tick across the row, not a sliver
    const rect = point
      ? el("rect", { x: x0 - 1.5, y: y + 1, width: 3, height: rowH - 2, fill: PALETTE[0], class: "range" })
      : el("rect", { x: x0, y: y + 3, width: x(r.hi) - x0, height: rowH - 6, fill: PALETTE[0], "fill-opacity": 0.75, class: "range" });
    rect.append(el("title", {}, `${r.label}: ${formatNumber(r.lo)} … ${formatNumber(r.hi)}`));
    svg.append(rect);
  });
  svg.append(el("line", { x1: x(0), x2: x(0), y1: top - 4, y2: axisBottom, class: "axis" }));
  return svg;
}

export interface Point {
  x: number;
  y: number;
  group: string;
  label: string;
}

// Measured (x) against simulated (y), with the y = x line; colour by group.
export function scatterChart(points: Point[], title: string, xLabel: string, yLabel: string): SVGSVGElement {
  const size = 420;
  const pad = 48;
  const groups = [...new Set(points.map((p) => p.group))];
  const shown = groups.slice(0, 40);
  const legendW = groups.length > 1 || groups[0] ? Math.max(...shown.map(textWidth)) + 30 : 0;
  const rowsH = pad + shown.length * 16 + (groups.length > shown.length ? 16 : 0);
  const svg = svgRoot(size + legendW, Math.max(size, rowsH), title);
  const vals = points.flatMap((p) => [p.x, p.y]).filter(isFinite);
  const lo = Math.min(0, ...vals);
  const hi = Math.max(...vals, lo + 1e-9);
  const s = (v: number) => pad + ((v - lo) / (hi - lo)) * (size - 2 * pad);
  const sy = (v: number) => size - s(v);
  for (const t of ticks(lo, hi)) {
    svg.append(el("line", { x1: s(t), x2: s(t), y1: pad, y2: size - pad, class: "grid" }));
    svg.append(el("line", { x1: pad, x2: size - pad, y1: sy(t), y2: sy(t), class: "grid" }));
    svg.append(el("text", { x: s(t), y: size - pad + 16, "text-anchor": "middle", class: "tick" }, formatNumber(t)));
    svg.append(el("text", { x: pad - 6, y: sy(t) + 4, "text-anchor": "end", class: "tick" }, formatNumber(t)));
  }
  svg.append(el("line", { x1: s(lo), y1: sy(lo), x2: s(hi), y2: sy(hi), class: "diagonal" }));
  svg.append(el("text", { x: size / 2, y: size - 8, "text-anchor": "middle", class: "axis-label" }, xLabel));
  svg.append(el("text", { x: 14, y: size / 2, transform: `rotate(-90 14 ${size / 2})`, "text-anchor": "middle", class: "axis-label" }, yLabel));
  const style = (g: string) => {
    const i = groups.indexOf(g);
    return { colour: PALETTE[i % PALETTE.length], shape: SHAPES[Math.floor(i / PALETTE.length) % SHAPES.length] };
  };
  for (const p of points) {
    if (!isFinite(p.x) || !isFinite(p.y)) continue;
    const { colour, shape } = style(p.group);
    const c = marker(shape, s(p.x), sy(p.y), 3.5, { fill: colour, class: "point", "data-group": p.group });
    c.append(el("title", {}, `${p.label}: ${formatNumber(p.x)} vs ${formatNumber(p.y)}`));
    svg.append(c);
  }
  if (legendW) {
    shown.forEach((g, i) => {
      const { colour, shape } = style(g);
      svg.append(marker(shape, size + 10, pad + i * 16, 4, { fill: colour, class: "swatch" }));
      svg.append(el("text", { x: size + 20, y: pad + i * 16 + 4, class: "legend" }, g));
    });
    if (groups.length > shown.length) svg.append(el("text", { x: size + 4, y: pad + shown.length * 16 + 4, class: "legend" }, `… and ${groups.length - shown.length} more`));
  }
  return svg;
}

// y against x, one line per series; a legend to the right names each series in its colour.
export function lineChart(series: { name: string; points: [number, number][] }[], title: string, xLabel: string, yLabel: string): SVGSVGElement {
  const plotW = 640;
  const height = 320;
  const pad = 52;
  const legendW = series.length > 1 ? Math.max(...series.map((s) => textWidth(s.name))) + 40 : 0;
  const width = plotW + legendW;
  const svg = svgRoot(width, Math.max(height, pad + series.length * 16), title);
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter(isFinite);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(isFinite);
  const [xlo, xhi] = [Math.min(...xs), Math.max(...xs)];
  const [ylo, yhi] = [Math.min(...ys), Math.max(...ys)];
  const sx = (v: number) => pad + ((v - xlo) / (xhi - xlo || 1)) * (plotW - 2 * pad);
  const sy = (v: number) => height - pad - ((v - ylo) / (yhi - ylo || 1)) * (height - 2 * pad);
  for (const t of ticks(ylo, yhi)) {
    svg.append(el("line", { x1: pad, x2: plotW - pad, y1: sy(t), y2: sy(t), class: "grid" }));
    svg.append(el("text", { x: pad - 6, y: sy(t) + 4, "text-anchor": "end", class: "tick" }, formatNumber(t)));
  }
  for (const t of ticks(xlo, xhi)) svg.append(el("text", { x: sx(t), y: height - pad + 16, "text-anchor": "middle", class: "tick" }, formatNumber(t)));
  svg.append(el("text", { x: plotW / 2, y: height - 10, "text-anchor": "middle", class: "axis-label" }, xLabel));
  svg.append(el("text", { x: 14, y: height / 2, transform: `rotate(-90 14 ${height / 2})`, "text-anchor": "middle", class: "axis-label" }, yLabel));
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const dash = i >= PALETTE.length ? "5 3" : "";
    const d = s.points.filter((p) => isFinite(p[0]) && isFinite(p[1])).map((p, j) => `${j ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    svg.append(el("path", { d, fill: "none", stroke: colour, "stroke-width": 1.6, "stroke-dasharray": dash, class: "series", "data-series": s.name }));
    if (legendW) {
      const y = pad + i * 16;
      svg.append(el("line", { x1: plotW - pad + 12, x2: plotW - pad + 32, y1: y, y2: y, stroke: colour, "stroke-width": 2.5, "stroke-dasharray": dash, class: "swatch" }));
      svg.append(el("text", { x: plotW - pad + 38, y: y + 4, class: "legend" }, s.name));
    }
  });
  return svg;
}
