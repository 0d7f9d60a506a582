// Small SVG charts for result files: bars with error bars, scatter against the diagonal,
// lines (loss curves). Drawn here rather than by a charting library: they are a few
// hundred lines, need no runtime requests, and print as crisp vectors.
import { formatNumber } from "./table";

const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

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
  error?: number;
}

// Horizontal bars, one per label, with ± error whiskers.
export function barChart(bars: Bar[], title: string, unit = ""): SVGSVGElement {
  const rowH = 18;
  const left = 150;
  const right = 30;
  const width = 720;
  const top = 28;
  const height = top + bars.length * rowH + 34;
  const svg = svgRoot(width, height, title);
  const lo = Math.min(0, ...bars.map((b) => b.value - (b.error ?? 0)));
  const hi = Math.max(0, ...bars.map((b) => b.value + (b.error ?? 0)));
  const span = hi - lo || 1;
  const x = (v: number) => left + ((v - lo) / span) * (width - left - right);
  for (const t of ticks(lo, hi)) {
    svg.append(el("line", { x1: x(t), x2: x(t), y1: top - 4, y2: height - 30, class: "grid" }));
    svg.append(el("text", { x: x(t), y: height - 16, "text-anchor": "middle", class: "tick" }, formatNumber(t)));
  }
  if (unit) svg.append(el("text", { x: width - right, y: height - 2, "text-anchor": "end", class: "axis-label" }, unit));
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const x0 = x(Math.min(0, b.value));
    const w = Math.max(1, Math.abs(x(b.value) - x(0)));
    svg.append(el("text", { x: left - 6, y: y + rowH * 0.7, "text-anchor": "end", class: "label" }, b.label.length > 22 ? b.label.slice(0, 21) + "…" : b.label));
    const rect = el("rect", { x: x0, y: y + 3, width: w, height: rowH - 6, fill: b.value < 0 ? PALETTE[1] : PALETTE[0], class: "bar" });
    rect.append(el("title", {}, `${b.label}: ${formatNumber(b.value)}${b.error ? " ± " + formatNumber(b.error) : ""}`));
    svg.append(rect);
    if (b.error && isFinite(b.error) && b.error > 0) {
      const ym = y + rowH / 2;
      svg.append(el("line", { x1: x(b.value - b.error), x2: x(b.value + b.error), y1: ym, y2: ym, class: "whisker" }));
      for (const v of [b.value - b.error, b.value + b.error]) svg.append(el("line", { x1: x(v), x2: x(v), y1: ym - 4, y2: ym + 4, class: "whisker" }));
    }
  });
  svg.append(el("line", { x1: x(0), x2: x(0), y1: top - 4, y2: height - 30, class: "axis" }));
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
  const svg = svgRoot(size + 170, size, title);
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
  const groups = [...new Set(points.map((p) => p.group))];
  const colour = (g: string) => PALETTE[groups.indexOf(g) % PALETTE.length];
  for (const p of points) {
    if (!isFinite(p.x) || !isFinite(p.y)) continue;
    const c = el("circle", { cx: s(p.x), cy: sy(p.y), r: 3.5, fill: colour(p.group), class: "point" });
    c.append(el("title", {}, `${p.label}: ${formatNumber(p.x)} vs ${formatNumber(p.y)}`));
    svg.append(c);
  }
  groups.slice(0, 16).forEach((g, i) => {
    svg.append(el("circle", { cx: size + 10, cy: pad + i * 16, r: 4, fill: colour(g) }));
    svg.append(el("text", { x: size + 20, y: pad + i * 16 + 4, class: "label" }, g));
  });
  return svg;
}

// y against x, one line per series.
export function lineChart(series: { name: string; points: [number, number][] }[], title: string, xLabel: string, yLabel: string): SVGSVGElement {
  const width = 640;
  const height = 320;
  const pad = 52;
  const svg = svgRoot(width, height, title);
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter(isFinite);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(isFinite);
  const [xlo, xhi] = [Math.min(...xs), Math.max(...xs)];
  const [ylo, yhi] = [Math.min(...ys), Math.max(...ys)];
  const sx = (v: number) => pad + ((v - xlo) / (xhi - xlo || 1)) * (width - 2 * pad);
  const sy = (v: number) => height - pad - ((v - ylo) / (yhi - ylo || 1)) * (height - 2 * pad);
  for (const t of ticks(ylo, yhi)) {
    svg.append(el("line", { x1: pad, x2: width - pad, y1: sy(t), y2: sy(t), class: "grid" }));
    svg.append(el("text", { x: pad - 6, y: sy(t) + 4, "text-anchor": "end", class: "tick" }, formatNumber(t)));
  }
  for (const t of ticks(xlo, xhi)) svg.append(el("text", { x: sx(t), y: height - pad + 16, "text-anchor": "middle", class: "tick" }, formatNumber(t)));
  svg.append(el("text", { x: width / 2, y: height - 10, "text-anchor": "middle", class: "axis-label" }, xLabel));
  svg.append(el("text", { x: 14, y: height / 2, transform: `rotate(-90 14 ${height / 2})`, "text-anchor": "middle", class: "axis-label" }, yLabel));
  series.forEach((s, i) => {
    const d = s.points.filter((p) => isFinite(p[0]) && isFinite(p[1])).map((p, j) => `${j ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    svg.append(el("path", { d, fill: "none", stroke: PALETTE[i % PALETTE.length], "stroke-width": 1.6, class: "series" }));
    if (series.length > 1) svg.append(el("text", { x: width - pad + 4, y: pad + i * 14, class: "label", fill: PALETTE[i % PALETTE.length] }, s.name));
  });
  return svg;
}
