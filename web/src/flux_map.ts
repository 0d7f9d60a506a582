// Escher flux maps (escher@1.8.2, bundled; loaded only when a map is drawn). The maps are the
// server's (--map-dir, BiGG's naming) and the job's own map.json, which fluxion draws for any
// model small enough (by hand for the built-in isotope models, else laid out automatically).
// A server map named after the job's model is drawn first, else the job's; any can be chosen.

interface MapEntry {
  file: string;
  model: string;
  name: string;
  url: string;
}

export interface MapData {
  jobMap?: string;  // the URL of the job's map.json
  metabolites?: Record<string, number>;  // a value per metabolite id, drawn as the metabolite's colour and size
  metaboliteMeaning?: string;  // what that value is, for the note under the map
}

function modelStem(name: string): string {
  return name.replace(/\.(gz)$/i, "").replace(/\.(xml|sbml|json|tsv|fml|txt)$/i, "");
}

// Returns false, drawing nothing, when there is no map at all (none on the server, none in the job).
export async function fluxMap(container: HTMLElement, fluxes: Record<string, number>, modelName: string, data: MapData = {}): Promise<boolean> {
  const { maps } = (await (await fetch("/api/maps")).json()) as { maps: MapEntry[] };
  const stem = modelStem(modelName);
  const choices = maps.map((m) => ({ label: `${m.model}: ${m.name}`, url: m.url }));
  if (data.jobMap) choices.unshift({ label: `${stem || "this model"}: drawn by fluxion`, url: data.jobMap });
  if (!choices.length) return false;
  const note = document.createElement("p");
  note.className = "note";
  const select = document.createElement("select");
  select.setAttribute("aria-label", "Flux map");
  select.append(new Option("— choose a map —", ""));
  for (const c of choices) select.append(new Option(c.label, c.url));
  const named = maps.find((m) => m.model === stem);
  const first = named?.url ?? data.jobMap;
  const canvas = document.createElement("div");
  canvas.className = "escher-map";
  canvas.hidden = true;  // no empty box until a map is drawn
  const label = document.createElement("label");
  label.textContent = "Map ";
  label.append(select);
  container.append(label, note, canvas);
  const draw = async (url: string) => {
    canvas.replaceChildren();
    canvas.hidden = !url;
    if (!url) return;
    note.textContent = "Drawing the map…";
    const [module, map] = await Promise.all([import("escher"), fetch(url).then((r) => r.json())]);
    // the UMD bundle arrives as the module, its default export or that one's default, by bundler
    type Escher = typeof module.default;
    const candidates: unknown[] = [module, (module as { default?: unknown }).default, ((module as { default?: { default?: unknown } }).default ?? {}).default];
    const escher = candidates.find((c) => c && typeof (c as Escher).Builder === "function" && (c as Escher).libs) as Escher | undefined;
    if (!escher) throw new Error(`escher did not load (exports: ${Object.keys(module).join(", ")}; default: ${Object.keys((module as { default?: object }).default ?? {}).join(", ")})`);
    // a tall map (a pathway drawn downwards) gets a taller box, so that it is not drawn tiny
    const box = (map as [unknown, { canvas?: { width?: number; height?: number } }])[1]?.canvas;
    const aspect = box?.width && box?.height ? box.height / box.width : 0;
    canvas.style.height = aspect > 0 ? `${Math.round(Math.min(900, Math.max(560, canvas.clientWidth * Math.min(aspect, 1.2))))}px` : "";
    const metabolites = data.metabolites && Object.keys(data.metabolites).length ? data.metabolites : null;
    escher.Builder(map, null, null, escher.libs.d3_select(canvas), {
      reaction_data: fluxes,
      metabolite_data: metabolites,
      menu: "zoom",
      enable_editing: false,
      enable_keys: false,
      scroll_behavior: "zoom",
      never_ask_before_quit: true,
      fill_screen: false,
      reaction_styles: ["color", "size", "text", "abs"],
      reaction_compare_style: "diff",
      // from the median, not the mean: a proton or cofactor exchange of ~1000 beside glycolysis
      // near 1 would leave every other reaction at the bottom of a linear scale
      reaction_scale: [
        { type: "min", color: "#b5d0ea", size: 4 },  // pale blue, apart from the grey of no data
        { type: "median", color: "#4a86c5", size: 12 },
        { type: "Q3", color: "#e6853a", size: 18 },
        { type: "max", color: "#c0262d", size: 24 },
      ],
      metabolite_styles: ["color", "size", "text"],
    });
    // escher draws after Builder returns and reports its own failures only to the console:
    // a map with nothing on it after a moment says so instead of leaving an empty box
    await new Promise((resolve) => setTimeout(resolve, 400));
    if (!canvas.querySelector("path.segment, circle.node-circle")) throw new Error("Escher drew nothing from this map (the browser's console says why)");
    const drawn = Object.keys(fluxes).length;
    note.textContent =
      `${drawn} reaction fluxes (colour and width: the absolute flux); reactions of the map that the results lack stay grey.` +
      (metabolites ? ` Metabolites: ${data.metaboliteMeaning ?? "a value per metabolite"} (colour and size).` : "");
  };
  const attempt = async (url: string) => {
    try {
      await draw(url);
    } catch (err) {
      canvas.hidden = true;
      note.textContent = `The map could not be drawn: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  select.addEventListener("change", () => void attempt(select.value));
  if (first) {
    select.value = first;
    await attempt(first);
  } else note.textContent = `No map is named after the model '${stem}'; choose one to draw the fluxes on it.`;
  return true;
}
