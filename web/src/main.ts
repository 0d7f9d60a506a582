// fluxion's web front end: a page per analysis form, per job, this browser's job list and the
// input formats. Plain TypeScript and the DOM; everything is served by `fluxion serve`.
import "./style.css";
import { Analysis, api, ApiError, Catalogue, forgetOwnerToken, Job, ModelList, OptionSpec, ownerToken, ResultView, setOwnerToken } from "./api";
import { Bar, barChart, lineChart, Range, rangeChart, Scale, scatterChart, suggestScale } from "./plots";
import { formatNumber, numeric, parseDelimited, tableElement } from "./table";
import { formatsPage } from "./formats";
import { fluxMap, type MapData } from "./flux_map";

const main = document.getElementById("main") as HTMLElement;
let catalogue: Catalogue | null = null;
let models: ModelList | null = null;
let pollTimer: number | undefined;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function link(href: string, text: string, cls = ""): HTMLAnchorElement {
  const a = h("a", { href, "data-link": "" }, text);
  if (cls) a.className = cls;
  return a;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

async function ensureCatalogue(): Promise<Catalogue> {
  if (!catalogue) catalogue = await api.catalogue();
  return catalogue;
}

// ---- routing ---------------------------------------------------------------------------

function navigate(path: string, replace = false) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void route();
}

document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest("a[data-link]") as HTMLAnchorElement | null;
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute("href") ?? "/");
});
window.addEventListener("popstate", () => void route());

async function route() {
  window.clearTimeout(pollTimer);
  const path = location.pathname;
  main.replaceChildren(h("p", { class: "note" }, "Loading…"));
  try {
    let m: RegExpMatchArray | null;
    if (path === "/" || path === "") await homePage();
    else if ((m = path.match(/^\/analyses\/([a-z0-9-]+)$/))) await formPage(m[1]);
    else if ((m = path.match(/^\/jobs\/([0-9a-f]{32})$/))) await jobPage(m[1]);
    else if (path === "/jobs") await jobsPage();
    else if (path === "/formats") setPage("Input formats", formatsPage());
    else setPage("Not found", h("p", {}, "There is no page here. ", link("/", "See the analyses.")));
  } catch (err) {
    setPage("Something went wrong", h("p", { class: "error", role: "alert" }, err instanceof Error ? err.message : String(err)));
  }
  main.focus({ preventScroll: true });
}

function setPage(title: string, ...content: Node[]) {
  document.title = `${title} · fluxion`;
  main.replaceChildren(h("h1", {}, title), ...content);
}

// ---- consent for the job list ------------------------------------------------------------

function consentBanner() {
  const box = document.getElementById("consent") as HTMLElement;
  if (ownerToken() || localStorage.getItem("fluxion-consent") === "declined") {
    box.hidden = true;
    return;
  }
  const accept = h("button", { type: "button", class: "primary" }, "Remember my jobs");
  const decline = h("button", { type: "button" }, "No thanks");
  accept.addEventListener("click", () => {
    setOwnerToken();
    box.hidden = true;
  });
  decline.addEventListener("click", () => {
    localStorage.setItem("fluxion-consent", "declined");
    box.hidden = true;
  });
  box.replaceChildren(
    h("p", {}, "fluxion can list the jobs you submit from this browser. It needs one cookie holding a random token (no account, nothing else). Without it, keep each job's link."),
    accept,
    decline,
  );
  box.hidden = false;
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", "Cookie consent");
}

// ---- pages -------------------------------------------------------------------------------

async function homePage() {
  const cat = await ensureCatalogue();
  const cards = h("div", { class: "cards" });
  for (const a of cat.analyses) {
    const card = h("section", { class: "card", "aria-labelledby": `card-${a.id}` });
    card.append(h("h2", { id: `card-${a.id}` }, a.title), h("p", {}, a.summary));
    const actions = h("p", { class: "actions" }, link(`/analyses/${a.id}`, "Open the form", "button primary"));
    if (a.samples.length) actions.append(" ", h("span", { class: "note" }, `Sample input: ${a.sample_set}`));
    card.append(actions);
    if (a.samples.length) {
      const list = h("ul", { class: "samples" });
      for (const s of a.samples) list.append(h("li", {}, h("a", { href: s.url, download: s.filename }, s.filename), ` — ${s.label}`));
      card.append(list);
    }
    cards.append(card);
  }
  setPage(
    "Metabolic fluxes from the data you have",
    h("p", { class: "lead" }, "Upload measurements, pick a model, follow the job and read the results as tables and plots. Each analysis runs the same engine as the fluxion command line; every result says how it was made."),
    cards,
  );
}

function fieldId(name: string) {
  return `field-${name}`;
}

function inputFor(o: OptionSpec, ms: ModelList): HTMLElement {
  const id = fieldId(o.name);
  const describedBy = `${id}-help ${id}-error`;
  if (o.kind === "flag") {
    const cb = h("input", { type: "checkbox", id, name: o.name, "aria-describedby": describedBy });
    return cb;
  }
  if (o.kind === "file" || o.kind === "series") {
    // a series is one table per day (d0.csv.gz, d1.csv.gz, …), chosen together
    return h("input", { type: "file", id, name: o.name, accept: o.accept ?? "", "aria-describedby": describedBy, ...(o.kind === "series" ? { multiple: "" } : {}), ...(o.required ? { "aria-required": "true" } : {}) });
  }
  if (o.kind === "model" || o.kind === "predictor") {
    const list = o.kind === "model" ? ms.models.map((m) => ({ name: m.name, text: `${m.name} (${m.source})` })) : ms.predictors.map((p) => ({ name: p.name, text: p.name }));
    const select = h("select", { id, name: o.name, "aria-describedby": describedBy }, h("option", { value: "" }, o.kind === "model" ? "— choose a model, or upload one —" : "— choose a predictor —"));
    for (const m of list) select.append(h("option", { value: m.name }, m.text));
    const upload = h("input", { type: "file", id: `${id}-file`, name: o.name, accept: o.kind === "model" ? ".xml,.sbml,.gz,.json,.tsv,.fml,.txt,.csv,.ftbl" : ".fluxpkg", "aria-label": `${o.name}: upload a file instead` });
    return h("div", { class: "model-choice" }, select, h("span", { class: "note" }, " or upload: "), upload);
  }
  if (o.choices.length) {
    const select = h("select", { id, name: o.name, "aria-describedby": describedBy });
    for (const c of o.choices) {
      const opt = h("option", { value: c }, c);
      if (c === o.default) opt.selected = true;
      select.append(opt);
    }
    return select;
  }
  const attrs: Record<string, string> = { id, name: o.name, "aria-describedby": describedBy, placeholder: o.default ? `default ${o.default}` : "" };
  if (o.type === "integer" || o.type === "number") {
    attrs.type = "number";
    attrs.step = o.type === "integer" ? "1" : "any";
    if (o.minimum !== undefined && !o.exclusive_minimum) attrs.min = String(o.minimum);
    if (o.maximum !== undefined) attrs.max = String(o.maximum);
    attrs.inputmode = "decimal";
  } else attrs.type = "text";
  return h("input", attrs);
}

// The browser-side checks; the server checks everything again with the CLI's own rules.
function checkField(o: OptionSpec, form: HTMLFormElement): string {
  const input = form.querySelector(`#${fieldId(o.name)}`) as HTMLInputElement | HTMLSelectElement | null;
  if (!input) return "";
  const file = form.querySelector(`#${fieldId(o.name)}-file`) as HTMLInputElement | null;
  const hasFile = (input instanceof HTMLInputElement && input.type === "file" && (input.files?.length ?? 0) > 0) || (file?.files?.length ?? 0) > 0;
  const value = input instanceof HTMLInputElement && input.type === "checkbox" ? (input.checked ? "on" : "") : input.value.trim();
  if (o.required && !value && !hasFile) return o.kind === "file" ? "Choose a file." : o.kind === "series" ? "Choose the per-day files (d0.csv.gz, d1.csv.gz, …)." : "Required.";
  if (o.kind === "series" && input instanceof HTMLInputElement && input.files) {
    const bad = Array.from(input.files).find((f) => !/^d\d{1,4}\.(csv|tsv)(\.gz)?$/i.test(f.name));
    if (bad) return `${bad.name} is not named as a day's table (d0.csv.gz, d1.csv, …).`;
  }
  if (value && (o.type === "integer" || o.type === "number") && input instanceof HTMLInputElement && input.type === "number") {
    const v = Number(value);
    if (!isFinite(v)) return "Enter a number.";
    if (o.type === "integer" && !Number.isInteger(v)) return "Enter a whole number.";
    if (o.minimum !== undefined && o.exclusive_minimum && !(v > o.minimum)) return `More than ${o.minimum}.`;
    if (o.minimum !== undefined && v < o.minimum) return `At least ${o.minimum}.`;
    if (o.maximum !== undefined && v > o.maximum) return `At most ${o.maximum}.`;
  }
  return "";
}

function showFieldError(name: string, message: string) {
  const box = document.getElementById(`${fieldId(name)}-error`);
  if (box) box.textContent = message;
  const input = document.getElementById(fieldId(name));
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
}

async function formPage(id: string) {
  const cat = await ensureCatalogue();
  const a = cat.analyses.find((x) => x.id === id);
  if (!a) return setPage("Not found", h("p", {}, `There is no analysis '${id}'. `, link("/", "See the analyses.")));
  models ??= await api.models();
  const form = h("form", { class: "analysis", novalidate: "" });
  form.append(h("label", { for: "field-title", class: "label" }, "Name this job (optional)"), h("input", { id: "field-title", name: "title", type: "text", maxlength: "200" }));
  // the declared groups: Inputs and Options first, then any other an analysis declares
  // ("Time course" of simulate and fit), Advanced last and folded
  const declared = [...new Set(a.options.map((o) => o.group))];
  const groups = ["Inputs", "Options", ...declared.filter((g) => g && !["Inputs", "Options", "Advanced"].includes(g)), "Advanced"];
  for (const g of groups) {
    const opts = a.options.filter((o) => o.group === g);
    if (!opts.length) continue;
    const fs = g === "Advanced" ? h("details", { class: "group" }, h("summary", {}, "Advanced options")) : h("fieldset", { class: "group" }, h("legend", {}, g));
    for (const o of opts) {
      const row = h("div", { class: "field" });
      const label = h("label", { for: fieldId(o.name) }, (o.label ?? o.name) + (o.required ? " *" : ""), " ", h("code", { class: "cli-name", title: "the command line's option" }, `--${o.name}`));
      const input = inputFor(o, models);
      row.append(label, input, h("p", { id: `${fieldId(o.name)}-help`, class: "help" }, o.description + (o.default && o.kind !== "flag" ? ` (default ${o.default})` : "")), h("p", { id: `${fieldId(o.name)}-error`, class: "field-error", "aria-live": "polite" }));
      input.addEventListener("change", () => showFieldError(o.name, checkField(o, form)));
      input.addEventListener("blur", () => showFieldError(o.name, checkField(o, form)), true);
      fs.append(row);
    }
    form.append(fs);
  }
  const status = h("div", { class: "form-status", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Run");
  const actions = h("p", { class: "actions" }, submit);
  if (a.samples.length) {
    const fill = h("button", { type: "button" }, "Fill with the sample inputs");
    fill.addEventListener("click", () => void fillSamples(a, form, status));
    actions.append(" ", fill, " ", h("span", { class: "note" }, a.sample_set));
  }
  form.append(actions, status);
  if (a.options.some((o) => o.name === "objective") && a.options.some((o) => o.kind === "model")) objectiveChoices(form, a.options.find((o) => o.kind === "model")!.name);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submitForm(a, form, status, submit);
  });
  setPage(a.title, h("p", { class: "lead" }, a.summary), h("p", { class: "note" }, `Runs: fluxion ${a.command}. Uploads up to ${bytes(cat.max_upload_bytes)} in all. `, link("/formats", "Input formats")), form);
}

// The objective as a choice list of the chosen model's reactions (the server reads built-in and
// library models); free text for an uploaded model, whose reactions only the job reads.
function objectiveChoices(form: HTMLFormElement, modelField: string) {
  const select = form.querySelector(`#${fieldId(modelField)}`) as HTMLSelectElement | null;
  const upload = form.querySelector(`#${fieldId(modelField)}-file`) as HTMLInputElement | null;
  const current = () => form.querySelector(`#${fieldId("objective")}`) as HTMLInputElement | HTMLSelectElement;
  const help = form.querySelector(`#${fieldId("objective")}-help`) as HTMLElement | null;
  const original = current();
  const baseHelp = help?.textContent ?? "";
  let asked = 0;
  const swap = (next: HTMLInputElement | HTMLSelectElement) => {
    const now = current();
    if (now === next) return;
    next.id = now.id;
    next.setAttribute("name", "objective");
    next.setAttribute("aria-describedby", now.getAttribute("aria-describedby") ?? "");
    now.replaceWith(next);
  };
  const update = async () => {
    const name = upload?.files?.length ? "" : select?.value ?? "";
    const ticket = ++asked;
    if (!name) {
      swap(original);
      if (help) help.textContent = baseHelp + (upload?.files?.length ? " Type a reaction id of the uploaded model." : "");
      return;
    }
    try {
      const { reactions } = await api.modelReactions(name);
      if (ticket !== asked) return;
      const list = h("select", { class: "objective-choice" });
      const first = reactions[0];
      list.append(h("option", { value: "" }, `the model's own objective${first ? ` (${first.id})` : ""}`));
      for (const r of reactions) list.append(h("option", { value: r.id }, r.name && r.name !== r.id ? `${r.id} — ${r.name}` : r.id));
      swap(list);
      if (help) help.textContent = `${baseHelp}. The list holds the ${reactions.length} reactions of ${name}.`;
    } catch {
      if (ticket === asked) swap(original);
    }
  };
  select?.addEventListener("change", () => void update());
  upload?.addEventListener("change", () => void update());
}

async function fillSamples(a: Analysis, form: HTMLFormElement, status: HTMLElement) {
  status.className = "form-status info";
  status.textContent = "Fetching the sample files…";
  const chosen = new Map<string, DataTransfer>();  // per field: several files for a series
  for (const s of a.samples) {
    const blob = await (await fetch(s.url)).blob();
    const target = (form.querySelector(`#${fieldId(s.option)}-file`) ?? form.querySelector(`#${fieldId(s.option)}`)) as HTMLInputElement | null;
    if (!target || target.type !== "file") continue;
    const dt = chosen.get(s.option) ?? new DataTransfer();
    if (!target.multiple) dt.items.clear();
    dt.items.add(new File([blob], s.filename));
    chosen.set(s.option, dt);
    target.files = dt.files;
    showFieldError(s.option, "");
  }
  for (const [k, v] of Object.entries(a.sample_values)) {
    const input = form.querySelector(`#${fieldId(k)}`) as HTMLInputElement | HTMLSelectElement | null;
    if (!input) continue;
    if (input instanceof HTMLInputElement && input.type === "checkbox") input.checked = v === "true";
    else input.value = v;
    showFieldError(k, "");
  }
  status.textContent = `Filled with the sample inputs (${a.sample_set}).`;
}

async function submitForm(a: Analysis, form: HTMLFormElement, status: HTMLElement, button: HTMLButtonElement) {
  let bad = 0;
  for (const o of a.options) {
    const m = checkField(o, form);
    showFieldError(o.name, m);
    if (m) bad++;
  }
  status.className = "form-status";
  if (bad) {
    status.textContent = `${bad} field${bad > 1 ? "s need" : " needs"} attention.`;
    (form.querySelector("[aria-invalid=true]") as HTMLElement | null)?.focus();
    return;
  }
  const data = new FormData();
  data.append("analysis", a.id);
  const title = (form.querySelector("#field-title") as HTMLInputElement).value.trim();
  if (title) data.append("title", title);
  for (const o of a.options) {
    const input = form.querySelector(`#${fieldId(o.name)}`) as HTMLInputElement | HTMLSelectElement | null;
    const file = form.querySelector(`#${fieldId(o.name)}-file`) as HTMLInputElement | null;
    if (!input) continue;  // not on the form
    if (file?.files?.length) data.append(o.name, file.files[0], file.files[0].name);
    else if (input instanceof HTMLInputElement && input.type === "file") {
      for (const f of Array.from(input.files ?? []).slice(0, o.kind === "series" ? undefined : 1)) data.append(o.name, f, f.name);
    } else if (input instanceof HTMLInputElement && input.type === "checkbox") {
      if (input.checked) data.append(o.name, "on");
    } else if (input.value.trim()) data.append(o.name, input.value.trim());
  }
  button.disabled = true;
  status.className = "form-status info";
  status.textContent = "Uploading…";
  try {
    const job = await api.submit(data);
    navigate(`/jobs/${job.id}`);
  } catch (err) {
    button.disabled = false;
    status.className = "form-status";
    if (err instanceof ApiError) {
      status.replaceChildren(h("strong", {}, err.message));
      const list = h("ul", {});
      for (const e of err.errors) {
        if (e.field) showFieldError(e.field, e.text.replace(/^[^:]*: error: /, ""));
        list.append(h("li", {}, (e.field ? `${e.field}: ` : "") + (e.line ? `line ${e.line}${e.column ? `, column ${e.column}` : ""}: ` : "") + e.message));
      }
      if (err.errors.length) status.append(list);
      (form.querySelector("[aria-invalid=true]") as HTMLElement | null)?.focus();
    } else status.textContent = String(err);
  }
}

function progressBar(job: Job): HTMLElement {
  const pct = job.progress === null ? null : Math.round(job.progress * 100);
  const bar = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Progress" });
  if (pct !== null) bar.setAttribute("aria-valuenow", String(pct));
  const fill = h("div", { class: `fill ${job.state}` });
  fill.style.width = `${job.state === "done" ? 100 : pct ?? (job.state === "running" ? 100 : 0)}%`;
  if (pct === null && job.state === "running") fill.classList.add("indeterminate");
  bar.append(fill);
  return bar;
}

async function jobPage(id: string) {
  const cat = await ensureCatalogue();
  let job: Job;
  try {
    job = await api.job(id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return setPage("No such job", h("p", {}, "This job does not exist, or it was deleted after the retention period."));
    throw err;
  }
  const analysis = cat.analyses.find((a) => a.id === job.analysis);
  const head = h("div", { class: "job-head" });
  const results = h("div", { class: "results-area" });
  setPage(job.title || analysis?.title || job.analysis, head, results);
  let rendered = false;
  const refresh = async () => {
    try {
      job = await api.job(id);
    } catch {
      pollTimer = window.setTimeout(refresh, 2000);
      return;
    }
    renderJobHead(head, job, analysis);
    if (job.state === "done" || job.state === "failed" || job.state === "cancelled") {
      if (!rendered) {
        rendered = true;
        await renderResults(results, job, analysis);
      }
      return;
    }
    pollTimer = window.setTimeout(refresh, 1500);  // longer than the server keeps an idle connection: no thread held between polls
  };
  await refresh();
}

function renderJobHead(head: HTMLElement, job: Job, analysis: Analysis | undefined) {
  const share = h("input", { type: "text", readonly: "", value: location.origin + job.url, "aria-label": "Link to this job", class: "share" });
  const copy = h("button", { type: "button" }, "Copy link");
  copy.addEventListener("click", () => void navigator.clipboard?.writeText(share.value).then(() => (copy.textContent = "Copied")));
  const state = h("p", { class: `state ${job.state}`, "data-state": job.state }, h("strong", {}, job.state), job.progress_label ? ` — ${job.progress_label}` : "", job.progress !== null && job.state === "running" ? ` (${Math.round(job.progress * 100)}%)` : "");
  const parts: Node[] = [state, progressBar(job)];
  if (job.message) parts.push(h("pre", { class: job.state === "failed" ? "message error" : "message" }, job.message));
  if (job.state === "queued" || job.state === "running") {
    const cancel = h("button", { type: "button" }, "Cancel the job");
    cancel.addEventListener("click", () => void api.cancel(job.id).catch(() => undefined));
    parts.push(h("p", {}, cancel));
  }
  const facts = h("dl", { class: "facts" });
  const fact = (k: string, v: string) => v && facts.append(h("dt", {}, k), h("dd", {}, v));
  fact("Analysis", analysis ? `${analysis.title} (fluxion ${analysis.command})` : job.analysis);
  fact("Submitted", job.created);
  fact("Started", job.started);
  fact("Finished", job.finished);
  for (const i of job.inputs ?? []) fact(`Input ${i.option}`, `${i.name} (${bytes(i.size)})`);
  for (const [k, v] of Object.entries(job.parameters ?? {})) fact(k, v);
  parts.push(facts, h("p", { class: "share-row" }, share, " ", copy, h("span", { class: "note" }, " Anyone with this link can read the results.")));
  head.replaceChildren(...parts);
}

async function renderResults(area: HTMLElement, job: Job, analysis: Analysis | undefined) {
  area.replaceChildren();
  const files = job.files ?? [];
  if (files.length) {
    const list = h("ul", { class: "downloads" });
    for (const f of files) list.append(h("li", {}, h("a", { href: `${f.url}?download=1`, download: f.path.split("/").pop() ?? f.path }, f.path), ` (${bytes(f.size)})`));
    area.append(h("h2", {}, "Downloads"), list);
  }
  const log = h("details", { class: "log" }, h("summary", {}, "Log"));
  log.addEventListener("toggle", () => {
    if (log.open && log.childElementCount === 1) void api.text(`/api/jobs/${job.id}/log`).then((t) => log.append(h("pre", {}, t)));
  });
  area.append(log);
  if (job.state !== "done" || !analysis) return;
  const cache = new Map<string, Promise<string>>();
  const text = (file: string) => {
    if (!cache.has(file)) cache.set(file, api.text(`/api/jobs/${job.id}/files/${file}`));
    return cache.get(file)!;
  };
  const section = h("section", { class: "views", "aria-label": "Results" });
  area.prepend(section);
  for (const v of analysis.views) {
    if (!files.some((f) => f.path === v.file)) continue;
    const box = h("figure", { class: `view ${v.kind}` });
    box.append(h("figcaption", {}, v.title));
    section.append(box);
    try {
      if (v.kind === "facts") {
        box.append(factsView(v, JSON.parse(await text(v.file))));
        continue;
      }
      if (v.kind === "image") {  // an SVG the command drew (its tooltips show on hover when opened on its own)
        const url = `/api/jobs/${job.id}/files/${v.file}`;
        box.append(h("a", { href: url, target: "_blank", rel: "noopener" }, h("img", { src: url, alt: v.title, class: "result-image" })));
        continue;
      }
      const table = parseDelimited(await text(v.file), v.file);
      if (v.kind === "map") {
        await mapView(box, v, table, job, files.map((f) => f.path), text);
        continue;
      }
      let names: Map<string, string> | undefined;
      if (v.kind === "matrix" && files.some((f) => f.path === "module_info.csv")) names = moduleNames(parseDelimited(await text("module_info.csv"), "module_info.csv"));
      box.append(renderView(v, table, names));
    } catch (err) {
      box.append(h("p", { class: "error" }, `Cannot draw ${v.file}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
}

// Values picked out of a JSON result (run_info.json): "settings.objective_value=Objective value;…".
function factsView(v: ResultView, doc: unknown): HTMLElement {
  const list = h("dl", { class: "facts result-facts" });
  for (const item of v.x.split(";")) {
    const [path, label] = item.split("=");
    let value: unknown = doc;
    for (const key of path.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    if (value === undefined || value === null || value === "") continue;
    const shown = typeof value === "number" || (typeof value === "string" && value.trim() !== "" && isFinite(Number(value))) ? formatNumber(Number(value)) : String(value);
    list.append(h("dt", {}, label ?? path), h("dd", { "data-key": path }, shown));
  }
  return list;
}

// The largest magnitude when it looks like a model's open bound (±1000 in BiGG and COBRA
// models): at least 500, and reached by at most half of the values. FBA leaves loops there.
function openBound(values: number[]): number | null {
  const mags = values.map(Math.abs).filter(isFinite);
  if (!mags.length) return null;
  const top = Math.max(...mags);
  const at = mags.filter((m) => m >= top * (1 - 1e-9)).length;
  return top >= 500 && at <= mags.length / 2 ? top : null;
}

// A chart with a choice of scale; the signed log scale is chosen first when a few large fluxes
// (exchange, loop or boundary fluxes) would squash the rest to slivers.
function scaled(values: number[], draw: (scale: Scale) => SVGSVGElement, notes: string[]): HTMLElement {
  const wrap = h("div", { class: "scaled-bars" });
  const chart = h("div", {});
  const group = `scale-${Math.random().toString(36).slice(2, 9)}`;
  const choice = h("p", { class: "scale-choice", role: "radiogroup", "aria-label": "Scale" }, "Scale: ");
  let scale: Scale = suggestScale(values);
  const redraw = () => chart.replaceChildren(draw(scale));
  for (const [value, text] of [["linear", "linear"], ["log", "signed log"]] as [Scale, string][]) {
    const radio = h("input", { type: "radio", name: group, value });
    radio.checked = value === scale;
    radio.addEventListener("change", () => {
      scale = value;
      redraw();
    });
    choice.append(h("label", {}, radio, ` ${text}`));
  }
  if (scale === "log") choice.append(h("span", { class: "note" }, " — a few large values would hide the rest on a linear axis"));
  redraw();
  wrap.append(choice, chart);
  for (const n of notes) if (n) wrap.append(h("p", { class: "note" }, n));
  return wrap;
}

function scaledBars(bars: Bar[], title: string, unit: string, note: string): HTMLElement {
  return scaled(bars.map((b) => b.value), (scale) => barChart(bars, title, unit, scale), [note]);
}

function listed(names: string[]): string {
  return names.length > 12 ? `${names.slice(0, 12).join(", ")} and ${names.length - 12} more` : names.join(", ");
}

// Names for the rows of a matrix view from scFEA's module_info.csv (M_id, M_name, C_in, C_out):
// "M_1" → its name, or "Glucose → G6P" from the compounds it takes in and gives out.
function moduleNames(t: ReturnType<typeof parseDelimited>): Map<string, string> {
  const names = new Map<string, string>();
  const c = (n: string) => t.header.indexOf(n);
  const [id, name, cin, cout] = [0, c("M_name"), c("C_in"), c("C_out")];
  for (const r of t.rows) {
    if (name >= 0 && r[name] && r[name] !== r[id]) names.set(r[id], r[name]);
    else if (cin >= 0 && cout >= 0 && (r[cin] || r[cout])) names.set(r[id], `${r[cin] || "?"} → ${r[cout] || "?"}`);
  }
  return names;
}

function renderView(v: ResultView, t: ReturnType<typeof parseDelimited>, names?: Map<string, string>): Node {
  const col = (name: string) => t.header.indexOf(name);
  if (v.kind === "table") return tableElement(t, v.file);
  if (v.kind === "bars") {
    const label = Math.max(0, col(v.x));
    const value = v.y ? col(v.y) : t.header.findIndex((_, i) => i !== label && t.rows.some((r) => isFinite(numeric(r[i]))));
    if (value < 0) return h("p", { class: "note" }, "No numeric column to draw.");
    const err = v.error ? col(v.error) : -1;
    let bars = t.rows.map((r) => ({ label: r[label], value: numeric(r[value]), error: err >= 0 ? numeric(r[err]) : undefined })).filter((b) => isFinite(b.value));
    // fluxes at the model's open bound (FBA's loops) are listed apart, not drawn over the rest
    const bound = v.group === "open-bound" ? openBound(bars.map((b) => b.value)) : null;
    const apart = bound ? bars.filter((b) => Math.abs(b.value) >= bound * (1 - 1e-9)) : [];
    if (bound) bars = bars.filter((b) => Math.abs(b.value) < bound * (1 - 1e-9));
    const zero = v.group === "open-bound" ? bars.filter((b) => b.value === 0).length : 0;
    if (zero > 0 && zero < bars.length) bars = bars.filter((b) => b.value !== 0);
    const total = bars.length;
    if (bars.length > 60) bars = [...bars].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 60);
    const notes = [
      total > 60 ? `The 60 largest of ${total} by magnitude; the table has all of them.` : "",
      zero > 0 && zero < total + zero ? `${zero} reactions carry no flux and are not drawn.` : "",
      apart.length ? `At the model's open bound (±${formatNumber(bound!)}), not drawn: ${listed(apart.map((b) => `${b.label} ${formatNumber(b.value)}`))}. Such fluxes are usually loops that FBA leaves free; pFBA removes them.` : "",
    ];
    return scaled(bars.map((b) => b.value), (scale) => barChart(bars, v.title, t.header[value], scale), notes);
  }
  if (v.kind === "ranges") {
    // flux variability: each reaction's [minimum, maximum]; blocked ones and ranges that reach the
    // open bound (loops) are counted and listed apart
    const label = Math.max(0, col(v.x));
    const [lo, hi] = [col(v.y), col(v.error)];
    if (lo < 0 || hi < 0) return h("p", { class: "note" }, `The file has no ${v.y} / ${v.error} columns.`);
    const all: Range[] = t.rows.map((r) => ({ label: r[label], lo: numeric(r[lo]), hi: numeric(r[hi]) })).filter((r) => isFinite(r.lo) && isFinite(r.hi));
    const bound = openBound(all.flatMap((r) => [r.lo, r.hi]));
    const loose = bound ? all.filter((r) => Math.max(Math.abs(r.lo), Math.abs(r.hi)) >= bound * (1 - 1e-9)) : [];
    const blocked = all.filter((r) => r.lo === 0 && r.hi === 0);
    let ranges = all.filter((r) => !loose.includes(r) && !blocked.includes(r));
    const total = ranges.length;
    if (ranges.length > 60) ranges = [...ranges].sort((a, b) => b.hi - b.lo - (a.hi - a.lo)).slice(0, 60);
    const notes = [
      total > 60 ? `The 60 widest of ${total} ranges; the table has all of them.` : "",
      blocked.length ? `${blocked.length} reactions are blocked (range 0 … 0) and not drawn.` : "",
      loose.length ? `Reaching the model's open bound (±${formatNumber(bound!)}), not drawn: ${listed(loose.map((r) => r.label))}.` : "",
    ];
    return scaled(ranges.flatMap((r) => [r.lo, r.hi]), (scale) => rangeChart(ranges, v.title, "flux range", scale), notes);
  }
  if (v.kind === "scatter") {
    const x = col(v.x);
    const y = col(v.y);
    const g = v.group ? col(v.group) : -1;
    if (x < 0 || y < 0) return h("p", { class: "note" }, `The file has no ${v.x} / ${v.y} columns.`);
    const pts = t.rows.map((r) => ({ x: numeric(r[x]), y: numeric(r[y]), group: g >= 0 ? r[g] : "", label: r.slice(0, 4).join(" ") }));
    return scatterChart(pts, v.title, v.x, v.y);
  }
  if (v.kind === "line") {
    const x = col(v.x);
    const ys = v.y && col(v.y) >= 0 ? [col(v.y)] : t.header.map((_, i) => i).filter((i) => i !== x);
    const g = v.group ? col(v.group) : -1;
    const point = (r: string[], i: number) => [numeric(r[Math.max(0, x)]), numeric(r[i])] as [number, number];
    // one series per column, or per value of the group column
    const series =
      g >= 0
        ? [...new Set(t.rows.map((r) => r[g]))].map((name) => ({ name, points: t.rows.filter((r) => r[g] === name).map((r) => point(r, ys[0])) }))
        : ys.map((i) => ({ name: t.header[i], points: t.rows.map((r) => point(r, i)) }));
    return lineChart(series, v.title, t.header[Math.max(0, x)], v.y || "value");
  }
  if (v.kind === "matrix") {
    // rows × samples (the first column names the row): the mean over samples ± its SD
    const bars = t.rows.map((r) => {
      const vals = r.slice(1).map(numeric).filter(isFinite);
      const mean = vals.reduce((s, x) => s + x, 0) / (vals.length || 1);
      const sd = Math.sqrt(vals.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, vals.length - 1));
      const name = names?.get(r[0]);
      return { label: name ? `${r[0]} ${name}` : r[0], value: mean, error: sd };
    });
    const shown = bars.length > 60 ? [...bars].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 60) : bars;
    const note = `${t.rows.length} rows × ${t.header.length - 1} samples${bars.length > 60 ? "; the 60 largest means are drawn" : ""}. Mean of all: ${formatNumber(bars.reduce((s, b) => s + b.value, 0) / (bars.length || 1))}.`;
    return scaledBars(shown, v.title, `mean over ${t.header.length - 1} samples (± SD)`, note);
  }
  return h("p", {}, "Unknown view.");
}

async function mapView(box: HTMLElement, v: ResultView, t: ReturnType<typeof parseDelimited>, job: Job, files: string[], text: (file: string) => Promise<string>) {
  const label = Math.max(0, t.header.indexOf(v.x));
  const value = v.y ? t.header.indexOf(v.y) : t.header.findIndex((_, i) => i !== label && t.rows.some((r) => isFinite(numeric(r[i]))));
  const fluxes: Record<string, number> = {};
  for (const r of t.rows) if (value >= 0 && isFinite(numeric(r[value]))) fluxes[r[label]] = numeric(r[value]);
  const model = job.parameters?.model ?? job.parameters?.predictor ?? job.inputs?.find((i) => i.option === "model")?.name ?? "";
  const data: MapData = {};
  if (files.includes("map.json")) data.jobMap = `/api/jobs/${job.id}/files/map.json`;
  if (files.includes("mids.tsv")) {
    const labelled = meanLabelledAtoms(parseDelimited(await text("mids.tsv"), "mids.tsv"));
    if (labelled) Object.assign(data, { metabolites: labelled.values, metaboliteMeaning: labelled.meaning });
  }
  if (!(await fluxMap(box, fluxes, model, data))) box.remove();  // no map on this server or in the job: no box at all
}

// The mean number of labelled atoms of each whole metabolite (Σ i·M+i) in a long MID table
// (experiment, element, metabolite, [time,] isotopologue, fraction or simulated): the first
// experiment, carbon when traced, the last time point; fragments ("Ala[1,2]") left out.
function meanLabelledAtoms(t: ReturnType<typeof parseDelimited>): { values: Record<string, number>; meaning: string } | undefined {
  const col = (name: string) => t.header.indexOf(name);
  const [experiment, element, metabolite, isotopologue, time] = ["experiment", "element", "metabolite", "isotopologue", "time"].map(col);
  const value = col("fraction") >= 0 ? col("fraction") : col("simulated");
  if (metabolite < 0 || isotopologue < 0 || value < 0 || !t.rows.length) return undefined;
  const first = experiment >= 0 ? t.rows[0][experiment] : "";
  const elements = element >= 0 ? new Set(t.rows.map((r) => r[element])) : new Set([""]);
  const traced = elements.has("C") ? "C" : [...elements][0];
  const last = time >= 0 ? Math.max(...t.rows.map((r) => numeric(r[time])).filter(isFinite)) : NaN;
  const values: Record<string, number> = {};
  for (const r of t.rows) {
    if ((experiment >= 0 && r[experiment] !== first) || (element >= 0 && r[element] !== traced) || r[metabolite].includes("[")) continue;
    if (time >= 0 && numeric(r[time]) !== last) continue;
    const f = numeric(r[value]);
    if (isFinite(f)) values[r[metabolite]] = (values[r[metabolite]] ?? 0) + numeric(r[isotopologue]) * f;
  }
  const where = [first && `experiment ${first}`, traced && `${traced} atoms`, time >= 0 && `time ${formatNumber(last)}`].filter(Boolean).join(", ");
  return Object.keys(values).length ? { values, meaning: `mean labelled atoms (Σ i·M+i, ${where})` } : undefined;
}

async function jobsPage() {
  const cat = await ensureCatalogue();
  if (!ownerToken()) {
    const accept = h("button", { type: "button", class: "primary" }, "Remember my jobs in this browser");
    accept.addEventListener("click", () => {
      setOwnerToken();
      void route();
    });
    return setPage("My jobs", h("p", {}, "This browser does not keep a list of jobs yet. With your consent it stores one cookie holding a random token; jobs submitted afterwards are listed here."), accept);
  }
  const { jobs } = await api.jobs();
  const forget = h("button", { type: "button" }, "Forget this browser's list");
  forget.addEventListener("click", () => {
    forgetOwnerToken();
    void route();
  });
  if (!jobs.length) return setPage("My jobs", h("p", {}, "No jobs yet. ", link("/", "Start an analysis.")), h("p", {}, forget));
  const table = h("table", { class: "results" }, h("caption", {}, `${jobs.length} jobs`));
  table.append(h("thead", {}, h("tr", {}, ...["Job", "Analysis", "State", "Submitted", "Finished"].map((c) => h("th", { scope: "col" }, c)))));
  const body = h("tbody");
  for (const j of jobs) {
    const a = cat.analyses.find((x) => x.id === j.analysis);
    body.append(h("tr", {}, h("td", {}, link(j.url, j.title || j.id.slice(0, 8))), h("td", {}, a?.title ?? j.analysis), h("td", { class: `state ${j.state}` }, j.state), h("td", {}, j.created), h("td", {}, j.finished)));
  }
  table.append(body);
  setPage("My jobs", h("p", { class: "note" }, `Kept for ${cat.retention_days} days after they finish.`), table, h("p", {}, forget));
}

consentBanner();
void api.health().then((x) => ((document.getElementById("version") as HTMLElement).textContent = `fluxion ${x.version}`)).catch(() => undefined);
void ensureCatalogue().then((c) => ((document.getElementById("retention") as HTMLElement).textContent = String(c.retention_days))).catch(() => undefined);
void route();
