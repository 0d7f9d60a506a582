// The input formats, for the web's documentation page (the full reference: docs/formats.md).

interface Format {
  name: string;
  text: string;
  example: string;
}

const formats: Format[] = [
  {
    name: "Measured MIDs (ML-Flux, least-squares MFA)",
    text: "A long table, tab- or comma-separated, one row per isotopologue: experiment, metabolite, isotopologue (0 … n), fraction, and optionally sd, element (C or H) and replicate. IsoCor's corrected output (sample, metabolite, isotopologue, isotopologue_fraction) is read as it is. Metabolites left out are imputed by ML-Flux.",
    example: "experiment\telement\tmetabolite\tisotopologue\tfraction\tsd\ne1\tC\tg6p\t0\t0.0026\t0.005\ne1\tC\tg6p\t1\t0.0024\t0.005\ne1\tC\tg6p\t2\t0.992\t0.005",
  },
  {
    name: "Tracer experiments",
    text: "experiment, substrate, label, fraction, [purity]; labels such as [1,2-13C2] or [5-2H1]. Built-in models bring their own.",
    example: "experiment\tsubstrate\tlabel\tfraction\tpurity\ne1\tGLC_IN\t[1,2-13C2]\t1\t0.99\ne2\tGLC_IN\t[5-2H1]\t1\t0.99",
  },
  {
    name: "Models",
    text: "SBML Level 3 with the FBC package (.xml, .xml.gz), COBRA/BiGG JSON, FluxML (.fml), mfapy text, FreeFlux's reaction table (.csv), influx_si's FTBL (.ftbl: network, tracer and MS data in one file), or fluxion's reaction table: id, equation with atom maps, lower bound, upper bound.",
    example: "id\tequation\tlb\tub\nGLC_IN\tGLC_IN (C:ABCDEF) -> g6p (C:ABCDEF)\t1\t1\nPGI\tg6p (C:ABCDEF) <-> f6p (C:ABCDEF)\t0\t1.1\nFBA\tf6p (C:ABCDEF) <-> dhap (C:CBA) + gap (C:DEF)\t-1000\t1000",
  },
  {
    name: "Fluxes",
    text: "reaction, net, exchange (every reaction, or only the free net fluxes); for FBApro references: reaction, one column per sample, and optionally confidence (fixed, noisy, unmeasured).",
    example: "reaction\tnet\texchange\nGLC_IN\t1\t0\nPGI\t0.976\t0.0013",
  },
  {
    name: "Gene expression (scFEA)",
    text: "Genes × samples (or samples × genes with the option genes-as-columns) as CSV, TSV or space-separated text; 10x Genomics .h5; AnnData .h5ad (dense or sparse X, layers, raw). Gene symbols matching the network's; raw counts are log-transformed automatically when the largest value exceeds 50.",
    example: ",cell1,cell2,cell3\nHK1,3,0,5\nPFKP,1,2,0",
  },
  {
    name: "Module networks (scFEA)",
    text: "scFEA's files: module → genes (module_gene_*.csv or a .gmt), the compound × module matrix (cmMat_*.csv, +1 produced, −1 consumed) and compound names (cName_*.csv); or a model with gene rules (SBML) from which fluxion derives a network.",
    example: "M_1,HK1,HK2,HK3,GCK\nM_2,GPI",
  },
  {
    name: "Bounds (FBA)",
    text: "reaction, lower, upper: a medium or a condition applied to the model before FBA.",
    example: "reaction\tlower\tupper\nEX_glc__D_e\t-10\t1000",
  },
  {
    name: "Per-day tables (dynamics)",
    text: "One table per day, chosen together and named d0.csv.gz, d1.csv.gz, … (also .csv, .tsv): rows are features (genes, modules or metabolites), columns are cells, the first column the feature names; every day lists the same features in the same order. Expression must be raw counts for SNODEP's Poisson likelihood.",
    example: '"","cell_1","cell_2","cell_3"\n"ACTB",3,0,1\n"GAPDH",0,2,0',
  },
  {
    name: "Groups (scFEA)",
    text: "sample, group: compares each group's fluxes and balances with the rest of the labelled samples (Mann–Whitney U, Benjamini–Hochberg).",
    example: "sample\tgroup\ncell1\ttumour\ncell2\tnormal",
  },
];

// An example file drawn as a table with its columns aligned, and the file's text beneath it
// (tab- or comma-separated, as it would be saved).
function exampleTable(example: string): HTMLElement {
  const lines = example.split("\n");
  const sep = lines[0].includes("\t") ? "\t" : ",";
  const unquote = (c: string) => c.replace(/^"(.*)"$/, "$1");
  const rows = lines.map((l) => l.split(sep).map(unquote));
  const width = Math.max(...rows.map((r) => r.length));
  const table = document.createElement("table");
  table.className = "results example";
  rows.forEach((r, i) => {
    const tr = document.createElement("tr");
    for (let c = 0; c < width; c++) {
      const cell = document.createElement(i === 0 && sep === "\t" ? "th" : "td");
      cell.textContent = r[c] ?? "";
      tr.append(cell);
    }
    (i === 0 && sep === "\t" ? (table.createTHead()) : (table.tBodies[0] ?? table.createTBody())).append(tr);
  });
  const wrap = document.createElement("div");
  const raw = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = sep === "\t" ? "As the file's text (tab-separated)" : "As the file's text (comma-separated)";
  const pre = document.createElement("pre");
  pre.textContent = example;
  raw.append(summary, pre);
  wrap.append(table, raw);
  return wrap;
}

export function formatsPage(): HTMLElement {
  const wrap = document.createElement("div");
  const intro = document.createElement("p");
  intro.className = "lead";
  intro.textContent = "What each form accepts. When a file cannot be read, the error names the field, the line and the column.";
  wrap.append(intro);
  for (const f of formats) {
    const s = document.createElement("section");
    const h = document.createElement("h2");
    h.textContent = f.name;
    const p = document.createElement("p");
    p.textContent = f.text;
    s.append(h, p, exampleTable(f.example));
    wrap.append(s);
  }
  return wrap;
}
