// Browser test: Debian's chromium, driven by playwright-core, against the real server.
// Uploads the sample file, follows the job to completion, checks that the results table and a
// plot render, downloads a file, and keeps a screenshot of each page.
// The ML-Flux prediction and the FBApro toy drawn on the maps fluxion lays out; with the shared
// reference data, also FBA on E. coli core drawn on BiGG's Escher map.
//   node tests/browser.mjs <fluxion binary> <web root> <artefact directory> [shared data]
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const [binary, webRoot, artefacts, shared] = process.argv.slice(2);
if (!binary || !webRoot || !artefacts) {
  console.error("usage: node tests/browser.mjs <fluxion binary> <web root> <artefact directory>");
  process.exit(2);
}
mkdirSync(artefacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), "fluxion-browser-"));
const withMaps = shared && existsSync(join(shared, "bigg", "e_coli_core.xml.gz")) && existsSync(join(shared, "escher"));
const serverArgs = ["serve", "--port", "0", "--data", data, "--web-root", webRoot, "--job-threads", "1"];
if (withMaps) serverArgs.push("--model-dir", join(shared, "bigg"), "--map-dir", join(shared, "escher"));
const server = spawn(binary, serverArgs, { stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d;
    const m = out.match(/http:\/\/[0-9.]+:[0-9]+\//);
    if (m) resolve(m[0].replace(/\/$/, ""));
  });
  server.on("exit", (code) => reject(new Error(`the server exited (${code})`)));
  setTimeout(() => reject(new Error("the server did not start")), 20000);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
const outside = [];
page.on("request", (r) => {
  if (!r.url().startsWith(base) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) outside.push(r.url());
});
const consoleErrors = [];
page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: join(artefacts, `${name}.png`), fullPage: true });
let failed = false;
// every legend label lies inside its plot (none clipped at the right edge)
const legendsInside = async (figure) => {
  const clipped = await figure.locator("svg.plot").evaluateAll((svgs) =>
    svgs.flatMap((svg) => {
      const width = svg.viewBox.baseVal.width;
      return [...svg.querySelectorAll("text.legend")].filter((t) => t.getBBox().x + t.getBBox().width > width + 0.5).map((t) => t.textContent);
    }),
  );
  assert.deepEqual(clipped, [], "legend labels cut off at the plot's edge");
};

try {
  // home: the analyses, the consent banner
  await page.goto(base + "/");
  await page.getByRole("heading", { name: "MIDs → fluxes (ML-Flux)" }).waitFor();
  await shot("01-home");
  await page.getByRole("button", { name: "Remember my jobs" }).click();

  // the ML-Flux form, filled with the sample file, submitted
  await page.locator("a[href='/analyses/predict']").click();
  await page.getByRole("heading", { name: "MIDs → fluxes (ML-Flux)" }).waitFor();
  // inline validation before anything is sent
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator("#field-mids-error", { hasText: "Choose a file." }).waitFor();
  await page.getByRole("button", { name: "Fill with the sample inputs" }).click();
  await page.locator(".form-status", { hasText: "Filled with the sample inputs" }).waitFor();
  assert.equal(await page.locator("#field-predictor").inputValue(), "glycolysis");
  await page.locator("#field-title").fill("browser test");
  await shot("02-form");
  await page.getByRole("button", { name: "Run" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
  const jobUrl = page.url();

  // the job page: progress, then results
  await page.locator("[data-state=done]").waitFor({ timeout: 180000 });
  await page.locator("table.results tbody tr").first().waitFor();
  const rows = await page.locator("figure.table table.results tbody tr").count();
  assert.ok(rows >= 10, `the fluxes table has ${rows} rows`);
  assert.ok((await page.locator("svg.plot rect.bar").count()) >= 10, "the flux bars are drawn");
  assert.ok((await page.locator("svg.plot circle.point").count()) >= 10, "the MID scatter is drawn");
  // H_IN and NADH_IN (~1000 and ~95) would squash the glycolytic fluxes (~1) on a linear axis:
  // the page opens on the signed log scale, where PGI's bar is long enough to read
  const netFigure = page.locator("figure", { hasText: "Net fluxes" }).first();
  assert.equal(await netFigure.locator("input[type=radio][value=log]").isChecked(), true, "the net fluxes open on the log scale");
  const pgiWidth = async () => Number(await netFigure.locator("svg.plot rect.bar").filter({ has: page.locator("title", { hasText: /^PGI:/ }) }).getAttribute("width"));
  assert.ok((await pgiWidth()) > 40, `PGI's bar is ${await pgiWidth()} px on the log scale`);
  await netFigure.locator("input[type=radio][value=linear]").check();
  assert.ok((await pgiWidth()) < 10, "and a sliver on the linear scale");
  // the MID scatter tells its 13 metabolites apart: one colour-and-shape per metabolite
  const scatter = page.locator("figure", { hasText: "Measured vs. simulated MIDs" }).first();
  const marks = await scatter.locator(".swatch").evaluateAll((ms) => ms.map((m) => `${m.tagName}:${m.getAttribute("fill")}:${m.tagName === "path" ? m.getAttribute("d").replace(/[-0-9.]+/g, "") : ""}`));
  assert.ok(marks.length >= 13, `${marks.length} metabolites in the legend`);
  assert.equal(new Set(marks).size, marks.length, "no two metabolites share a colour and shape");
  // the prediction on the model's map, which fluxion drew by hand for the built-in glycolysis:
  // the fluxes colour the reactions, the mean labelled atoms the metabolites
  const mapFigure = page.locator("figure.view.map").first();
  await mapFigure.locator(".escher-map svg path.segment").first().waitFor({ state: "attached", timeout: 30000 });
  await page.waitForTimeout(500);  // escher colours the segments after drawing them
  assert.match(await mapFigure.locator("select").evaluate((s) => s.selectedOptions[0].textContent), /glycolysis: drawn by fluxion/);
  const mapSegments = await mapFigure.locator(".escher-map svg path.segment").evaluateAll((ps) => ps.filter((p) => p.style.stroke && p.style.stroke !== "rgb(220, 220, 220)").length);
  assert.ok(mapSegments >= 20, `${mapSegments} map segments carry a flux colour`);
  const mapMetabolites = await mapFigure.locator(".escher-map svg circle.metabolite-circle").evaluateAll((cs) => cs.filter((c) => c.style.fill && c.style.fill !== "rgb(255, 255, 255)").length);
  assert.ok(mapMetabolites >= 10, `${mapMetabolites} metabolites coloured by their labelling`);
  assert.match(await mapFigure.locator("p.note").textContent(), /mean labelled atoms/);
  for (const reaction of ["PGI", "PFK", "ENO"]) assert.ok(await mapFigure.locator(".escher-map svg text.reaction-label", { hasText: reaction }).count(), `${reaction} labelled on the map`);
  await mapFigure.scrollIntoViewIfNeeded();
  await mapFigure.screenshot({ path: join(artefacts, "16-predict-map.png") });
  // sorting by a column
  await page.locator("figure.table th button", { hasText: "net" }).first().click();
  assert.equal(await page.locator("figure.table th[aria-sort]").first().getAttribute("aria-sort"), "ascending");
  await shot("03-job");

  // a download
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".downloads a", { hasText: "fluxes.tsv" }).click()]);
  const saved = join(artefacts, "downloaded-fluxes.tsv");
  await download.saveAs(saved);
  assert.match(readFileSync(saved, "utf8"), /^reaction\tnet\texchange/);

  // this browser's jobs
  await page.locator("nav a[href='/jobs']").click();
  await page.locator("table.results a", { hasText: "browser test" }).waitFor();
  await shot("04-jobs");

  // labels in plain words with the command line's name as a hint; an invalid number typed and
  // Run clicked at once: the field's message appears on blur without moving the button, so the
  // one click submits (and is refused in the browser)
  await page.goto(base + "/analyses/predict");
  assert.match(await page.locator("label[for=field-mid-sd]").textContent(), /^MID standard deviation.*--mid-sd/);
  await page.locator("#field-mid-sd").fill("-1");
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator(".form-status", { hasText: "need" }).waitFor({ timeout: 5000 });
  assert.match(await page.locator("#field-mid-sd-error").textContent(), /^At least 1e-9/);

  // a bad upload: the server's error names the field and the line
  await page.goto(base + "/analyses/predict");
  await page.locator("#field-predictor").selectOption("glycolysis");
  await page.locator("#field-mids").setInputFiles({ name: "bad.tsv", mimeType: "text/tab-separated-values", buffer: Buffer.from("experiment\tmetabolite\tisotopologue\tfraction\ne1\tg6p\tzero\t0.5\n") });
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator(".form-status li", { hasText: "line 2" }).waitFor();
  assert.equal(await page.locator("#field-mids").getAttribute("aria-invalid"), "true");
  await shot("05-form-error");

  // the documentation page, the job link opened afresh, a page that does not exist
  await page.locator("nav a[href='/formats']").click();
  await page.getByRole("heading", { name: "Input formats" }).waitFor();
  // examples drawn as aligned tables, with substrates the built-in models have
  const tracerExample = page.locator("section", { hasText: "Tracer experiments" }).locator("table.example");
  assert.equal(await tracerExample.locator("tbody tr").first().locator("td").nth(1).textContent(), "GLC_IN");
  await shot("06-formats");
  await page.goto(jobUrl);
  await page.locator("[data-state=done]").waitFor();
  await page.goto(base + "/jobs/0123456789abcdef0123456789abcdef");
  await page.getByRole("heading", { name: "No such job" }).waitFor();

  // FBA on a genome-scale model of the server's library, drawn on the Escher map named after it
  if (withMaps) {
    await page.goto(base + "/analyses/fba");
    await page.locator("#field-model").selectOption("e_coli_core.xml.gz");
    await page.locator("#field-fva").check();
    await page.getByRole("button", { name: "Run" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
    await page.locator("[data-state=done]").waitFor({ timeout: 120000 });
    await page.locator(".escher-map svg path.segment").first().waitFor({ state: "attached", timeout: 30000 });
    await page.waitForTimeout(500);  // escher colours the segments after drawing them
    const coloured = await page.locator(".escher-map svg path.segment").evaluateAll((ps) => ps.filter((p) => p.style.stroke && p.style.stroke !== "rgb(220, 220, 220)").length);
    assert.ok(coloured > 50, `${coloured} map segments carry a flux colour`);
    // FVA drawn as ranges; the ranges that reach the model's open bound (±1000, loops) are
    // listed under the chart, not drawn over the rest
    const fva = page.locator("figure", { hasText: "each reaction's range" }).first();
    assert.ok((await fva.locator("svg.plot rect.range").count()) >= 10, "the FVA ranges are drawn");
    const rangeTitles = await fva.locator("svg.plot rect.range title").allTextContents();
    assert.ok(!rangeTitles.some((t) => /(^|[^0-9.])1000($|[^0-9])/.test(t)), `no drawn range reaches ±1000: ${rangeTitles.filter((t) => t.includes("1000"))}`);
    assert.match(await fva.locator("p.note", { hasText: "open bound" }).textContent(), /SUCDi/);
    await shot("07-fba-map");
  } else console.log("skipping the Escher map check: no ../shared/data (bigg, escher)");

  // dynamics: sixteen per-day tables chosen together, a short SNODEP training, MSE by day drawn
  await page.goto(base + "/analyses/dynamics");
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator("#field-data-error", { hasText: "Choose the per-day files" }).waitFor();
  await page.getByRole("button", { name: "Fill with the sample inputs" }).click();
  await page.locator(".form-status", { hasText: "Filled with the sample inputs" }).waitFor();
  assert.equal(await page.locator("#field-data").evaluate((e) => e.files.length), 16);
  await shot("08-dynamics-form");
  await page.getByRole("button", { name: "Run" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
  await page.locator("[data-state=done]").waitFor({ timeout: 180000 });
  await page.locator("figure", { hasText: "MSE by day" }).locator("svg.plot").first().waitFor();
  const legend = await page.locator("figure", { hasText: "MSE by day" }).first().textContent();
  assert.ok(legend.includes("paper") && legend.includes("fresh"), "the MSE by day has the paper and fresh series");
  // each series in its own colour, and the legend's swatches in the same colours
  const mse = page.locator("figure", { hasText: "MSE by day" }).first();
  const strokes = await mse.locator("path.series").evaluateAll((ps) => ps.map((p) => getComputedStyle(p).stroke));
  const swatches = await mse.locator("line.swatch").evaluateAll((ls) => ls.map((l) => getComputedStyle(l).stroke));
  assert.equal(new Set(strokes).size, strokes.length, `series colours ${strokes}`);
  assert.deepEqual(swatches, strokes, "the legend shows each series' colour");
  await legendsInside(mse);
  await shot("09-dynamics-job");

  // least-squares fit of the sample: fluxes without a standard error (NA) still get their bars,
  // marked as having none
  await page.goto(base + "/analyses/fit");
  // the fit form's time-course options (pool sizes for MIDs with a time column) in their own group
  const timeCourse = page.locator("fieldset", { has: page.locator("legend", { hasText: "Time course" }) });
  await timeCourse.waitFor({ timeout: 10000 });
  assert.equal(await timeCourse.count(), 1, "the fit form has a Time course group");
  assert.equal(await timeCourse.locator("#field-pools").count(), 1, "with the pool sizes");
  await page.getByRole("button", { name: "Fill with the sample inputs" }).click();
  await page.locator(".form-status", { hasText: "Filled with the sample inputs" }).waitFor();
  await page.locator("#field-starts").fill("4");
  await page.getByRole("button", { name: "Run" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
  await page.locator("[data-state=done]").waitFor({ timeout: 180000 });
  const fitBars = page.locator("figure", { hasText: "Fitted net fluxes" }).first();
  await fitBars.locator("svg.plot").waitFor();
  const fitTsv = await (await page.request.get(page.url().replace("/jobs/", "/api/jobs/") + "/files/fluxes.tsv")).text();
  const fitRows = fitTsv.trim().split("\n").slice(1).map((l) => l.split("\t"));
  const seCol = fitTsv.split("\n")[0].split("\t").indexOf("net_se");
  const withoutSe = fitRows.filter((r) => r[seCol] === "NA" || r[seCol] === "nan").length;
  assert.equal(await fitBars.locator("rect.bar").count(), fitRows.length, "a bar for every fitted flux");
  assert.ok(withoutSe > 0, "the sample's fit has fluxes without a standard error");
  assert.equal(await fitBars.locator("path.no-error").count(), withoutSe + 1, "each marked, and the mark explained once");
  // the fit on the same hand-drawn map
  await page.locator("figure.view.map .escher-map svg path.segment").first().waitFor({ state: "attached", timeout: 30000 });
  assert.match(await page.locator("figure.view.map select").first().evaluate((s) => s.selectedOptions[0].textContent), /glycolysis: drawn by fluxion/);
  await shot("10-fit-job");

  // simulated labelling on the map: the metabolites coloured by their mean labelled atoms, the
  // fluxes simulated (every reaction, from the sample's table) on the reactions
  await page.goto(base + "/analyses/simulate");
  await page.getByRole("button", { name: "Fill with the sample inputs" }).click();
  await page.locator(".form-status", { hasText: "Filled with the sample inputs" }).waitFor();
  await page.getByRole("button", { name: "Run" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
  await page.locator("[data-state=done]").waitFor({ timeout: 120000 });
  const simMap = page.locator("figure.view.map").first();
  await simMap.locator(".escher-map svg circle.metabolite-circle").first().waitFor({ state: "attached", timeout: 30000 });
  await page.waitForTimeout(500);
  const labelled = await simMap.locator(".escher-map svg circle.metabolite-circle").evaluateAll((cs) => cs.filter((c) => c.style.fill && c.style.fill !== "rgb(255, 255, 255)").length);
  assert.ok(labelled >= 10, `${labelled} metabolites coloured by their simulated labelling`);
  await simMap.screenshot({ path: join(artefacts, "17-simulate-map.png") });

  // FBApro on the toy network: no map of the server is named after it, so the one fluxion laid
  // out for it is drawn
  await page.goto(base + "/analyses/project");
  await page.getByRole("button", { name: "Fill with the sample inputs" }).click();
  await page.locator(".form-status", { hasText: "Filled with the sample inputs" }).waitFor();
  await page.getByRole("button", { name: "Run" }).click();
  await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
  await page.locator("[data-state=done]").waitFor({ timeout: 120000 });
  await page.locator("figure", { hasText: "Projected fluxes" }).locator("svg.plot").first().waitFor();
  const toyMap = page.locator("figure.view.map").first();
  await toyMap.locator(".escher-map svg path.segment").first().waitFor({ state: "attached", timeout: 30000 });
  assert.match(await toyMap.locator("select").evaluate((s) => s.selectedOptions[0].textContent), /drawn by fluxion/);
  assert.equal(await page.locator(".escher-map:visible").count(), 1, "one map drawn");
  await shot("11-project-job");

  if (withMaps) {
    // FBA's form: the objective as a choice list of the chosen model's reactions, labels in plain words
    await page.goto(base + "/analyses/fba");
    assert.match(await page.locator("label[for=field-knockout-genes]").textContent(), /^Knockout genes.*--knockout-genes/);
    await page.locator("#field-model").selectOption("e_coli_core.xml.gz");
    await page.locator("select#field-objective").waitFor();
    const choices = await page.locator("select#field-objective option").allTextContents();
    assert.ok(choices.length > 90, `${choices.length} objective choices`);
    assert.match(choices[0], /own objective \(BIOMASS_Ecoli_core_w_GAM\)/);
    await page.locator("select#field-objective").selectOption("ATPM");
    await shot("12-fba-form");
    await page.getByRole("button", { name: "Run" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
    await page.locator("[data-state=done]").waitFor({ timeout: 120000 });
    // the objective value on the page (ATPM's maximum on E. coli core: 175 mmol/gDW/h)
    const optimum = page.locator("dd[data-key='settings.objective_value']");
    await optimum.waitFor();
    assert.ok(Math.abs(Number(await optimum.textContent()) - 175) < 0.01, `objective value ${await optimum.textContent()}`);
    assert.equal(await page.locator("dd[data-key='settings.objective']").textContent(), "ATPM");
    await shot("13-fba-objective");

    // scFEA's sample: module names on the bars, the loss legend inside its plot
    await page.goto(base + "/analyses/scflux");
    await page.getByRole("button", { name: "Fill with the sample inputs" }).click();
    await page.locator(".form-status", { hasText: "Filled with the sample inputs" }).waitFor();
    // cell groups: the example's first 81 cells against the others (uploaded beside the sample)
    const melissa = readFileSync(join(shared, "scfea", "changwn_scFEA", "input", "Melissa_full.csv"), "utf8").split("\n")[0].split(",").slice(1);
    const groupsFile = join(data, "groups.tsv");
    writeFileSync(groupsFile, "cell\tgroup\n" + melissa.map((c, i) => `${c.replace(/"/g, "")}\t${i < 81 ? "first" : "second"}`).join("\n") + "\n");
    await page.locator("input#field-groups").setInputFiles(groupsFile);
    await page.getByRole("button", { name: "Run" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f]{32}$/);
    await page.locator("[data-state=done]").waitFor({ timeout: 180000 });
    // the group comparison drawn: the heat map and the volcano plot load as images
    for (const caption of ["Module flux by group", "Each group against the other cells"]) {
      const img = page.locator("figure", { hasText: caption }).first().locator("img.result-image");
      await img.waitFor();
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 20000 });
    }
    await page.locator("figure", { hasText: "Module flux by group" }).first().scrollIntoViewIfNeeded();
    await shot("15-scflux-groups");
    const fluxFigure = page.locator("figure", { hasText: "Module flux per cell" }).first();
    await fluxFigure.locator("svg.plot").waitFor();
    const labels = await fluxFigure.locator("svg.plot text.label").allTextContents();
    assert.ok(labels.some((l) => /^M_\d+ \S/.test(l)), `module bars named: ${labels.slice(0, 3)}`);
    await legendsInside(page.locator("figure", { hasText: "Training loss" }).first());
    await shot("14-scflux-job");
  } else console.log("skipping the FBA objective and scFEA checks: no ../shared/data (bigg, scfea)");

  // keyboard: the first tab stop is the skip link, and it leads to the content
  await page.goto(base + "/");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");

  assert.deepEqual(outside, [], "no request leaves the server");
  assert.deepEqual(consoleErrors.filter((e) => !e.includes("400") && !e.includes("404")), [], "no script errors");
  console.log(`browser test passed; screenshots in ${artefacts}`);
} catch (err) {
  failed = true;
  console.error(err);
  await shot("failure").catch(() => undefined);
} finally {
  await browser.close();
  server.kill("SIGTERM");
  rmSync(data, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
