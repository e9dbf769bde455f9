// The page in Debian's headless Chromium, driven as a person would: draw digits, step through
// test images, train, load files, look at the graph. Screenshots of each panel go to
// $ARTIFACTS (default web/artifacts/, git-ignored).
//
// Needs the page built (bash web/build.sh), target/release/ferrograd, a model trained by
// `ferrograd train --epochs 1` ($FERROGRAD_MODEL) and the MNIST folder ($MNIST_DIR).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, launch, root, serve } from "./browser.mjs";

const model = process.env.FERROGRAD_MODEL;
const data = process.env.MNIST_DIR || join(root, "..", "shared", "data", "mnist");
const artifacts = process.env.ARTIFACTS || join(root, "web", "artifacts");
assert.ok(model, "set FERROGRAD_MODEL to a model.safetensors written by ferrograd train --epochs 1");
mkdirSync(artifacts, { recursive: true });

let browser, trained, untrained;
const files = mkdtempSync(join(tmpdir(), "ferrograd-page-test-")); // weights files made here
before(async () => {
  browser = await launch();
  trained = await serve(["--model", model, "--data", data]);
  untrained = await serve(["--data", data]);
});
after(async () => {
  await browser?.close();
  trained?.stop();
  untrained?.stop();
  rmSync(files, { recursive: true, force: true });
});

async function open(server) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
  page.errors = errors;
  return page;
}

const text = (page, id) => page.getByTestId(id).textContent();

/** The test accuracy `ferrograd eval` gives the model file `file`, as "92.65". */
function evalAccuracy(file) {
  const line = execFileSync(bin, ["eval", "--model", file, "--data", data], { encoding: "utf8" });
  return Number(line.match(/Test Acc: ([0-9.]+)%/)[1]).toFixed(2);
}

/** The page's accuracy on the 10,000 test images from "Show misclassified", as "92.65", and the
 * summary line. */
async function pageAccuracy(page) {
  await page.getByTestId("misclassified-button").click();
  const summary = await text(page, "misclassified-summary");
  const wrong = Number(summary.split(" ")[0]);
  return [((10000 - wrong) / 100).toFixed(2), summary];
}

/** A safetensors file's metadata (`__metadata__`), and the file with it replaced by `metadata`
 * (removed when `null`), as other tools or older ferrograd write it. */
function metadataOf(bytes) {
  const length = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + length).toString("utf8")).__metadata__;
}
function withMetadata(bytes, metadata) {
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString("utf8"));
  delete header.__metadata__;
  let json = JSON.stringify(metadata ? { __metadata__: metadata, ...header } : header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, Buffer.from(json, "utf8"), bytes.subarray(8 + length)]);
}

/** Draws strokes (lists of [x, y] in the 280×280 canvas) with the mouse. */
async function drawStrokes(page, strokes) {
  const box = await page.getByTestId("draw-canvas").boundingBox();
  for (const points of strokes) {
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    await page.mouse.up();
  }
  // The prediction runs on the next animation frame.
  await page.waitForFunction(() => document.querySelector("[data-testid=prediction]").textContent !== "–");
}

const ellipse = (cx, cy, rx, ry) => Array.from({ length: 33 }, (_, i) => {
  const a = (i / 32) * 2 * Math.PI;
  return [cx + rx * Math.sin(a), cy - ry * Math.cos(a)];
});
const DIGITS = {
  0: [ellipse(140, 140, 55, 85)],
  1: [[[150, 50], [145, 140], [140, 235]]],
  7: [[[80, 60], [200, 60], [170, 130], [140, 200], [125, 240]]],
};

test("drawn digits are recognised, with the 28×28 input and ten probabilities", async () => {
  const page = await open(trained);
  for (const [digit, strokes] of Object.entries(DIGITS)) {
    await page.getByTestId("clear").click();
    assert.equal(await text(page, "prediction"), "–");
    await drawStrokes(page, strokes);
    const probs = [];
    for (let d = 0; d < 10; d++) probs.push(Number(await text(page, `prob-${d}`)));
    const sum = probs.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 0.01, `probabilities sum to ${sum}`);
    assert.equal(await text(page, "prediction"), digit, `drew a ${digit}; probabilities ${probs}`);
    assert.equal(probs.indexOf(Math.max(...probs)), Number(digit));
    // The input preview holds the digit as MNIST's are: its longer side 20 pixels, its centre of
    // mass at the middle of the 28×28 image.
    const ink = await page.getByTestId("input-preview").evaluate((canvas) => {
      const { data } = canvas.getContext("2d").getImageData(0, 0, 28, 28);
      let total = 0, mx = 0, my = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
      for (let i = 0; i < 784; i++) {
        const v = data[4 * i], x = i % 28, y = Math.floor(i / 28);
        total += v; mx += v * (x + 0.5); my += v * (y + 0.5);
        if (v > 0) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
      return { total, cx: mx / total, cy: my / total, width: x1 - x0 + 1, height: y1 - y0 + 1 };
    });
    const longer = Math.max(ink.width, ink.height);
    assert.ok(longer >= 19 && longer <= 20, JSON.stringify(ink));
    assert.ok(Math.abs(ink.cx - 14) < 1 && Math.abs(ink.cy - 14) < 1, JSON.stringify(ink));
    await page.locator("#draw-panel").screenshot({ path: join(artifacts, `draw-${digit}.png`) });
  }
  await page.getByTestId("clear").click();
  assert.equal(await text(page, "prediction"), "–");
  assert.equal(await text(page, "prob-3"), "0.000");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("test images show their labels, and the misclassified ones match ferrograd eval", async () => {
  const page = await open(trained);
  const labels = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await page.getByTestId("test-next").click();
    assert.equal(await page.getByTestId("test-index").inputValue(), String(i));
    labels.push(await text(page, "test-label"));
  }
  assert.deepEqual(labels, ["7", "2", "1", "0", "4"]); // MNIST's first test labels
  await page.getByTestId("test-index").fill("9999");
  await page.getByTestId("test-index").dispatchEvent("change");
  assert.equal(await text(page, "test-label"), "6");
  await page.getByTestId("test-prev").click();
  assert.equal(await page.getByTestId("test-index").inputValue(), "9998");

  const [accuracy, summary] = await pageAccuracy(page);
  const wrong = Number(summary.split(" ")[0]);
  // The same weights natively.
  assert.equal(accuracy, evalAccuracy(model), summary);
  const thumbs = page.getByTestId("misclassified").locator("button");
  assert.equal(await thumbs.count(), Math.min(wrong, 200));
  await thumbs.first().click();
  assert.notEqual(await text(page, "test-label"), await text(page, "test-prediction"));
  await page.locator("#test-panel").screenshot({ path: join(artifacts, "test-images.png") });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("training 300 steps in the page lowers the loss; Stop stops, Resume goes on; drawing works meanwhile", async () => {
  const page = await open(untrained);
  await drawStrokes(page, DIGITS[0]);
  const before = await Promise.all([...Array(10).keys()].map((d) => text(page, `prob-${d}`)));
  await page.getByTestId("train-start").click();
  await page.waitForFunction(() => Number(document.querySelector("[data-testid=train-step]").textContent) >= 300,
    null, { timeout: 120_000 });
  // The drawing panel answers with the newest weights while training runs.
  await page.getByTestId("clear").click();
  await drawStrokes(page, DIGITS[0]);
  const during = await Promise.all([...Array(10).keys()].map((d) => text(page, `prob-${d}`)));
  assert.notDeepEqual(during, before, "the prediction uses the trained weights");
  await page.getByTestId("train-stop").click();
  await page.waitForFunction(() => !document.querySelector("[data-testid=train-start]").disabled);
  const stoppedAt = Number(await text(page, "train-step"));
  const losses = await page.evaluate(() => window.ferrograd.losses.slice());
  assert.equal(losses.length, stoppedAt);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(losses.slice(0, 10)), last = mean(losses.slice(290, 300));
  assert.ok(first > 2.0, `an untrained model starts near ln 10: ${first}`);
  assert.ok(last < first / 2, `loss over steps 290-299 ${last} against ${first} at the start`);
  assert.equal(Number(await text(page, "train-loss")).toFixed(4), losses.at(-1).toFixed(4));
  assert.ok(Number(await text(page, "train-rate")) > 0);
  await page.waitForTimeout(500);
  assert.equal(Number(await text(page, "train-step")), stoppedAt, "no steps after Stop");
  await page.locator("#train-panel").screenshot({ path: join(artifacts, "train.png") });

  assert.equal(await text(page, "train-start"), "Resume");
  await page.getByTestId("train-start").click();
  await page.waitForFunction((n) => Number(document.querySelector("[data-testid=train-step]").textContent) >= n + 50,
    stoppedAt, { timeout: 60_000 });
  await page.getByTestId("train-stop").click();
  await page.waitForFunction(() => !document.querySelector("[data-testid=train-start]").disabled);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a whole epoch in the page reports its test accuracy", async () => {
  const page = await open(untrained);
  await page.getByTestId("train-start").click();
  await page.waitForFunction(() => document.querySelector("[data-testid=test-accuracy]").textContent !== "–",
    null, { timeout: 600_000 });
  const accuracy = Number(await text(page, "test-accuracy"));
  // ferrograd train --epochs 1 reaches 92.65% with seed 0; the page's run has its own order.
  assert.ok(accuracy > 90, `test accuracy after one epoch ${accuracy}%`);
  const [epoch] = await page.evaluate(() => window.ferrograd.epochs);
  assert.equal(epoch.steps, 1875);
  assert.ok(Math.abs(epoch.accuracy * 100 - accuracy) < 0.01);
  await page.getByTestId("train-stop").click();
  await page.waitForFunction(() => !document.querySelector("[data-testid=train-start]").disabled);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("weights files: a bad one is reported in status, a good one is used", async () => {
  const page = await open(untrained);
  const input = page.getByTestId("model-file");
  await input.setInputFiles({ name: "notes.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from("not a model") });
  await page.waitForFunction(() => document.querySelector("[data-testid=status]").classList.contains("error"));
  const message = await text(page, "status");
  assert.match(message, /notes\.safetensors/);
  await page.screenshot({ path: join(artifacts, "bad-file.png") });

  // The trained model's file: the test image's prediction becomes the trained one.
  await input.setInputFiles(model);
  await page.waitForFunction(() => document.querySelector("[data-testid=status]").textContent.startsWith("loaded"));
  assert.equal(await text(page, "status"), `loaded ${model.split("/").at(-1)}`);
  assert.equal(await text(page, "test-prediction"), "7");
  // And Download gives the same bytes back.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  const saved = await download.path();
  assert.deepEqual(readFileSync(saved), readFileSync(model));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("Load weights builds the network the file records, and says what it assumed of one that records none", async () => {
  const page = await open(untrained);
  const input = page.getByTestId("model-file");
  const original = readFileSync(model);
  const recorded = metadataOf(original);
  assert.equal(recorded["ferrograd.activation"], "tanh");
  // The trained weights, recorded as relu: the page runs them as relu, as ferrograd eval does.
  const relu = join(files, "relu.safetensors");
  writeFileSync(relu, withMetadata(original, { ...recorded, "ferrograd.activation": "relu" }));
  await input.setInputFiles(relu);
  await page.waitForFunction(() => document.querySelector("[data-testid=status]").textContent.startsWith("loaded"));
  assert.equal(await text(page, "status"), "loaded relu.safetensors");
  const [asRelu, summary] = await pageAccuracy(page);
  assert.match(summary, /784-256-256-10 relu float32/);
  assert.equal(asRelu, evalAccuracy(relu), summary);
  assert.notEqual(asRelu, evalAccuracy(model), "relu and tanh give different accuracies");

  // The weights without metadata, as older ferrograd wrote them: read as tanh, and said so.
  const old = join(files, "old.safetensors");
  writeFileSync(old, withMetadata(original, null));
  await input.setInputFiles(old);
  await page.waitForFunction(() => document.querySelector("[data-testid=status]").textContent.startsWith("loaded old"));
  assert.equal(await text(page, "status"), "loaded old.safetensors; old.safetensors does not record its " +
    "architecture (it has no ferrograd metadata), so it was read as 784-256-256-10 tanh float32");
  assert.equal((await pageAccuracy(page))[0], evalAccuracy(model));
  await page.screenshot({ path: join(artifacts, "assumed-file.png") });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the graph shows the sigmoid's nodes with values and gradients", async () => {
  const page = await open(trained);
  const graph = page.getByTestId("graph");
  assert.equal(await graph.locator("g.node").count(), 8);
  assert.equal(await graph.locator("path[marker-end]").count(), 7);
  const content = await graph.textContent();
  for (const op of ["MulBackward", "ExpBackward", "AddBackward", "DivBackward", "x  2×3", "constant"]) {
    assert.ok(content.includes(op), `${op} in ${content}`);
  }
  // σ(1) = 0.731, σ'(1) = 0.197, σ'(0) = 0.250.
  assert.match(content, /value \[0\.731 0\.881 0\.953\]/);
  assert.match(content, /grad +\[0\.197 0\.105 0\.045\]/);
  await page.locator("#graph-panel").screenshot({ path: join(artifacts, "graph.png") });
  await page.screenshot({ path: join(artifacts, "page.png"), fullPage: true });
  await page.close();
});
