// Delimited result files → rows, and a sortable table.

export interface Table {
  header: string[];
  rows: string[][];
}

export function parseDelimited(text: string, name: string): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const sep = name.endsWith(".csv") ? "," : "\t";
  const split = (l: string) => (sep === "," ? splitCsv(l) : l.split("\t"));
  const header = lines.length ? split(lines[0]) : [];
  return { header, rows: lines.slice(1).map(split) };
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function numeric(v: string | undefined): number {
  if (v === undefined || v === "" || v === "NA") return NaN;
  return Number(v);
}

const MAX_ROWS = 500;

// A table whose column headers sort it (click or Enter); long tables show their first rows.
export function tableElement(t: Table, caption: string): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  const table = document.createElement("table");
  table.className = "results";
  const cap = document.createElement("caption");
  cap.textContent = caption;
  table.append(cap);
  const thead = table.createTHead();
  const hr = thead.insertRow();
  const tbody = table.createTBody();
  let order = t.rows.map((_, i) => i);
  let sortCol = -1;
  let ascending = true;
  const isNumeric = t.header.map((_, c) => t.rows.length > 0 && t.rows.slice(0, 50).every((r) => r[c] === "NA" || r[c] === "" || !isNaN(Number(r[c]))));
  const render = () => {
    tbody.replaceChildren();
    for (const i of order.slice(0, MAX_ROWS)) {
      const tr = tbody.insertRow();
      t.rows[i].forEach((v, c) => {
        const td = tr.insertCell();
        td.textContent = isNumeric[c] && v !== "" && v !== "NA" ? formatNumber(Number(v)) : v;
        if (isNumeric[c]) td.className = "num";
      });
    }
  };
  t.header.forEach((h, c) => {
    const th = document.createElement("th");
    th.scope = "col";
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = h;
    b.title = `Sort by ${h}`;
    b.addEventListener("click", () => {
      ascending = sortCol === c ? !ascending : true;
      sortCol = c;
      order = t.rows.map((_, i) => i);
      order.sort((a, z) => {
        const x = t.rows[a][c] ?? "";
        const y = t.rows[z][c] ?? "";
        const d = isNumeric[c] ? (numeric(x) || 0) - (numeric(y) || 0) : x.localeCompare(y);
        return ascending ? d : -d;
      });
      hr.querySelectorAll("th").forEach((e) => e.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      render();
    });
    th.append(b);
    hr.append(th);
  });
  render();
  wrap.append(table);
  if (t.rows.length > MAX_ROWS) {
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = `Showing ${MAX_ROWS} of ${t.rows.length} rows; download the file for all of them.`;
    wrap.append(note);
  }
  return wrap;
}

export function formatNumber(v: number): string {
  if (!isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3);
  return Number(v.toPrecision(5)).toString();
}
