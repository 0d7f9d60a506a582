// Escher flux maps (escher@1.8.2, bundled; loaded only when a map is drawn). The server lists
// its maps; the one named after the job's model is drawn, and any other can be chosen.

interface MapEntry {
  file: string;
  model: string;
  name: string;
  url: string;
}

function modelStem(name: string): string {
  return name.replace(/\.(gz)$/i, "").replace(/\.(xml|sbml|json|tsv|fml|txt)$/i, "");
}

// Returns false, drawing nothing, when the server has no maps at all.
export async function fluxMap(container: HTMLElement, fluxes: Record<string, number>, modelName: string): Promise<boolean> {
  const { maps } = (await (await fetch("/api/maps")).json()) as { maps: MapEntry[] };
  if (!maps.length) return false;
  const note = document.createElement("p");
  note.className = "note";
  const stem = modelStem(modelName);
  const select = document.createElement("select");
  select.setAttribute("aria-label", "Flux map");
  select.append(new Option("— choose a map —", ""));
  for (const m of maps) select.append(new Option(`${m.model}: ${m.name}`, m.file));
  const match = maps.find((m) => m.model === stem);
  const canvas = document.createElement("div");
  canvas.className = "escher-map";
  canvas.hidden = true;  // no empty box until a map is drawn
  const label = document.createElement("label");
  label.textContent = "Map ";
  label.append(select);
  container.append(label, note, canvas);
  const draw = async (file: string) => {
    canvas.replaceChildren();
    canvas.hidden = !file;
    if (!file) return;
    note.textContent = "Drawing the map…";
    const [module, map] = await Promise.all([import("escher"), fetch(`/api/maps/${encodeURIComponent(file)}`).then((r) => r.json())]);
    // the UMD bundle arrives as the module, its default export or that one's default, by bundler
    type Escher = typeof module.default;
    const candidates: unknown[] = [module, (module as { default?: unknown }).default, ((module as { default?: { default?: unknown } }).default ?? {}).default];
    const escher = candidates.find((c) => c && typeof (c as Escher).Builder === "function" && (c as Escher).libs) as Escher | undefined;
    if (!escher) throw new Error(`escher did not load (exports: ${Object.keys(module).join(", ")}; default: ${Object.keys((module as { default?: object }).default ?? {}).join(", ")})`);
    escher.Builder(map, null, null, escher.libs.d3_select(canvas), {
      reaction_data: fluxes,
      menu: "zoom",
      enable_editing: false,
      enable_keys: false,
      scroll_behavior: "zoom",
      never_ask_before_quit: true,
      fill_screen: false,
      reaction_styles: ["color", "size", "text", "abs"],
      reaction_compare_style: "diff",
    });
    const drawn = Object.keys(fluxes).length;
    note.textContent = `${drawn} reaction fluxes; reactions of the map that the results lack stay grey.`;
  };
  const attempt = async (file: string) => {
    try {
      await draw(file);
    } catch (err) {
      canvas.hidden = true;
      note.textContent = `The map could not be drawn: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  select.addEventListener("change", () => void attempt(select.value));
  if (match) {
    select.value = match.file;
    await attempt(match.file);
  } else note.textContent = `No map is named after the model '${stem}'; choose one to draw the fluxes on it.`;
  return true;
}
