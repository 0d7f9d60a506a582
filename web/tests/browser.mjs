// Browser test: Debian's chromium, driven by playwright-core, against the real server.
// Uploads the sample file, follows the job to completion, checks that the results table and a
// plot render, downloads a file, and keeps a screenshot of each page.
// With the shared reference data, also FBA on E. coli core drawn on its Escher map.
//   node tests/browser.mjs <fluxion binary> <web root> <artefact directory> [shared data]
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
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
  await shot("09-dynamics-job");

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
