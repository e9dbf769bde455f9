// One epoch of the recipe trained in the page (headless Chromium, the Web Worker, WebAssembly),
// against TensorFlow.js in the same browser (the peer project in --peer DIR, by default
// shared/bench/browser beside the repository: wasm and cpu backends)
// and native `ferrograd train --threads 1`; plus the page's latency for one drawn digit.
// Runs are interleaved round by round; prints each run and the medians as JSON lines and a
// Markdown table.
//
// usage: node web/bench.mjs [--rounds 3] [--cpu-batches 300] [--peer DIR] [--data DIR]
//                           [--only page,tfjs-wasm,tfjs-cpu,native,latency]
//                           [--max-load 1.2] [--wait-minutes 20]
// It first waits (at most --wait-minutes) for the 1-minute load average to fall below --max-load,
// as bench/compare.sh does, and records the load after every run.
// Needs: bash web/build.sh, cargo build --release -p ferrograd-cli, Debian's chromium.
// --cpu-batches caps TF.js's cpu backend (about 100 s per full epoch on the 2-core machine of
// BENCHMARKS.md); its epoch time is then its seconds per 100 batches times 18.75. 0 runs the
// whole epoch.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bin, launch, root, serve } from "./tests/browser.mjs";

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const rounds = Number(arg("rounds", "3"));
const only = arg("only", "page,tfjs-wasm,tfjs-cpu,native,latency").split(",");
const cpuBatches = Number(arg("cpu-batches", "300"));
const data = arg("data", process.env.MNIST_DIR || join(root, "..", "shared", "data", "mnist"));
const peerSource = arg("peer", join(root, "..", "shared", "bench", "browser"));
const STEPS = 1875;
const median = (xs) => { if (xs.length === 0) return undefined; const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

// The TF.js peer's folder may be read-only: copy it and install its pinned packages once.
const peer = join(tmpdir(), "ferrograd-tfjs-peer");
if (!existsSync(join(peer, "node_modules", "@tensorflow", "tfjs"))) {
  rmSync(peer, { recursive: true, force: true });
  cpSync(peerSource, peer, { recursive: true });
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: peer, stdio: "inherit" });
}

async function pageEpoch() {
  const server = await serve(["--data", data]);
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]");
    await page.getByTestId("train-start").click();
    const handle = await page.waitForFunction(() => window.ferrograd.epochs[0], null, { timeout: 1_800_000 });
    const epoch = await handle.jsonValue();
    await page.getByTestId("train-stop").click();
    return { what: "page", epoch_s: epoch.seconds, wall_s: epoch.wall, test_acc: epoch.accuracy * 100 };
  } finally { await browser.close(); server.stop(); }
}

async function latency(model) {
  const server = await serve(["--model", model, "--data", data]);
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]");
    const box = await page.getByTestId("draw-canvas").boundingBox();
    await page.mouse.move(box.x + 80, box.y + 60);
    await page.mouse.down();
    for (const [x, y] of [[200, 60], [170, 130], [140, 200], [125, 240]]) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    await page.mouse.up();
    // The whole path of one drawing: canvas pixels → 28×28 input → probabilities → bars.
    const times = await page.evaluate(() => Array.from({ length: 300 }, () => window.ferrograd.predictDrawing().ms));
    const digit = await page.getByTestId("prediction").textContent();
    return { what: "latency", median_ms: median(times.slice(50)), max_ms: Math.max(...times.slice(50)), digit };
  } finally { await browser.close(); server.stop(); }
}

function tfjs(backend) {
  const batches = backend === "cpu" ? cpuBatches : 0;
  const out = execFileSync("node", ["run.mjs", "--backend", backend, "--batches", String(batches), "--data", data],
    { cwd: peer, encoding: "utf8", maxBuffer: 1 << 24 });
  const result = JSON.parse(out.trim().split("\n").at(-1));
  const epoch = result.steps === STEPS ? result.epoch_s : (result.s_per_100_batches * STEPS) / 100;
  return { what: `tfjs-${backend}`, epoch_s: epoch, measured_steps: result.steps, threads: result.threads, simd: result.simd, test_acc: result.steps === STEPS ? result.test_acc : null };
}

function native() {
  const out = mkdtempSync(join(tmpdir(), "ferrograd-bench-"));
  try {
    execFileSync(bin, ["train", "--threads", "1", "--epochs", "1", "--data", data, "--out", out], { stdio: "ignore" });
    const [, row] = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n");
    const [, , , accuracy, seconds] = row.split(",");
    return { what: "native-1-thread", epoch_s: Number(seconds), test_acc: Number(accuracy) * (Number(accuracy) <= 1 ? 100 : 1) };
  } finally { rmSync(out, { recursive: true, force: true }); }
}

const maxLoad = Number(arg("max-load", "1.2"));
const waitUntil = Date.now() + Number(arg("wait-minutes", "20")) * 60_000;
while (loadavg()[0] >= maxLoad && Date.now() < waitUntil) {
  console.error(`waiting for a quiet machine: load ${loadavg()[0].toFixed(2)} >= ${maxLoad}`);
  await new Promise((ok) => setTimeout(ok, 15_000));
}

const results = [];
const record = (r) => { r.load = loadavg()[0]; results.push(r); console.log(JSON.stringify(r)); };
console.log(JSON.stringify({ rounds, cpuBatches, load_at_start: loadavg(), chromium: execFileSync("/usr/bin/chromium", ["--version"], { encoding: "utf8" }).trim() }));
for (let r = 0; r < rounds; r++) {
  if (only.includes("page")) record(await pageEpoch());
  if (only.includes("tfjs-wasm")) record(tfjs("wasm"));
  if (only.includes("tfjs-cpu")) record(tfjs("cpu"));
  if (only.includes("native")) record(native());
}
const modelDir = mkdtempSync(join(tmpdir(), "ferrograd-bench-model-"));
execFileSync(bin, ["train", "--epochs", "1", "--data", data, "--out", modelDir], { stdio: "ignore" });
for (let r = 0; r < rounds && only.includes("latency"); r++) record(await latency(join(modelDir, "model.safetensors")));
rmSync(modelDir, { recursive: true, force: true });

const of = (what, key) => results.filter((r) => r.what === what).map((r) => r[key]);
const page = median(of("page", "epoch_s"));
const rows = [["page (ferrograd, WebAssembly, Web Worker)", page, "page"], ["TF.js wasm", median(of("tfjs-wasm", "epoch_s")), "tfjs-wasm"],
  ["TF.js cpu", median(of("tfjs-cpu", "epoch_s")), "tfjs-cpu"], ["native ferrograd, 1 thread", median(of("native-1-thread", "epoch_s")), "native-1-thread"]];
console.log(JSON.stringify({ medians: Object.fromEntries(rows.map(([, s, k]) => [k, s])), latency_ms: median(of("latency", "median_ms")), load_at_end: loadavg() }));
console.log("\n| one epoch of the recipe | median s | runs (s) | page vs this |\n| --- | --- | --- | --- |");
for (const [name, s, key] of rows.filter(([, s]) => s !== undefined)) console.log(`| ${name} | ${s.toFixed(2)} | ${of(key, "epoch_s").map((x) => x.toFixed(2)).join(", ")} | ${(s / page).toFixed(2)}× |`);
if (only.includes("latency")) console.log(`\nprediction latency for one drawn digit (canvas → 28×28 → probabilities → bars): median ${median(of("latency", "median_ms")).toFixed(2)} ms`);
