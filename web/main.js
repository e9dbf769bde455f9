// The page: drawing, test images, training (in worker.js) and the sigmoid's graph. Everything
// that computes is ferrograd compiled to WebAssembly (crates/ferrograd-web); this file only
// moves pixels and numbers between it and the page.
import init, { Model, ImageSet, mnist_input, sigmoid_graph } from "./pkg/ferrograd_web.js";

const $ = (id) => document.getElementById(id);
const statusLine = $("status");
function status(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}
const errorText = (e) => (e && e.message) || String(e);

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

// ---------------------------------------------------------------- start

await init();
const config = await fetch("config.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
let model = new Model(0);
let modelName = "untrained (seed 0)";
if (config.model) {
  try {
    model.load("model.safetensors", await fetchBytes("model.safetensors")); // records its network
    modelName = `model.safetensors, ${model.architecture()}`;
  } catch (e) {
    status(`cannot load the server's model: ${errorText(e)}`, true);
  }
}
// Exposed for the tests and the benchmark.
window.ferrograd = { model: () => model, predictDrawing: () => predictDrawing() };

// ---------------------------------------------------------------- draw

const draw = $("draw");
const pen = draw.getContext("2d", { willReadFrequently: true });
const preview = $("preview").getContext("2d");
const bars = $("bars");
for (let d = 0; d < 10; d++) {
  const li = document.createElement("li");
  li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span>` +
    `<span data-testid="prob-${d}" id="prob-${d}">0.000</span>`;
  bars.append(li);
}

function clearDrawing() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, draw.width, draw.height);
  preview.clearRect(0, 0, 28, 28);
  $("prediction").textContent = "–";
  $("latency").textContent = "";
  for (let d = 0; d < 10; d++) showProbability(d, 0, false);
}

function showProbability(d, p, top) {
  $(`prob-${d}`).textContent = p.toFixed(3);
  const li = bars.children[d];
  li.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
  li.classList.toggle("top", top);
}

let hasInk = false;
/** Turns the drawing into the 28×28 input, shows it, and shows the model's answer. */
function predictDrawing() {
  if (!hasInk) return null;
  const started = performance.now();
  const { data } = pen.getImageData(0, 0, draw.width, draw.height);
  const ink = new Uint8Array(draw.width * draw.height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i]; // white ink on black: the red channel
  const input = mnist_input(ink, draw.width, draw.height);
  const probs = model.predict(input);
  const ms = performance.now() - started;
  const image = preview.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(input[i] * 255);
    image.data.set([v, v, v, 255], 4 * i);
  }
  preview.putImageData(image, 0, 0);
  const best = probs.indexOf(Math.max(...probs));
  probs.forEach((p, d) => showProbability(d, p, d === best));
  $("prediction").textContent = String(best);
  $("latency").textContent = `${ms.toFixed(2)} ms`;
  return { digit: best, ms };
}

let pending = false;
function schedulePrediction() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; predictDrawing(); });
}

let last = null;
function point(event) {
  const box = draw.getBoundingClientRect();
  return [(event.clientX - box.left) * (draw.width / box.width), (event.clientY - box.top) * (draw.height / box.height)];
}
draw.addEventListener("pointerdown", (event) => {
  draw.setPointerCapture(event.pointerId);
  last = point(event);
  stroke(last, last);
});
draw.addEventListener("pointermove", (event) => {
  if (!last) return;
  const next = point(event);
  stroke(last, next);
  last = next;
});
for (const type of ["pointerup", "pointercancel"]) draw.addEventListener(type, () => { last = null; });
function stroke([x0, y0], [x1, y1]) {
  pen.strokeStyle = "#fff";
  pen.lineWidth = 18;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(x0, y0);
  pen.lineTo(x1, y1);
  pen.stroke();
  hasInk = true;
  schedulePrediction();
}
$("clear").addEventListener("click", () => { hasInk = false; clearDrawing(); });
clearDrawing();

// ---------------------------------------------------------------- test images

let testSet = null;
let testIndex = 0;
const testCanvas = $("test-image").getContext("2d");

function drawDigit(context, pixels) {
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) image.data.set([pixels[i], pixels[i], pixels[i], 255], 4 * i);
  context.putImageData(image, 0, 0);
}

function showTestImage(i) {
  if (!testSet) return;
  testIndex = Math.min(Math.max(0, i | 0), testSet.len() - 1);
  $("test-index").value = testIndex;
  drawDigit(testCanvas, testSet.image(testIndex));
  const probs = model.predict(testSet.input(testIndex));
  const best = probs.indexOf(Math.max(...probs));
  $("test-label").textContent = String(testSet.label(testIndex));
  $("test-prediction").textContent = String(best);
  $("test-confidence").textContent = `${(probs[best] * 100).toFixed(1)}%`;
}

function showMisclassified() {
  if (!testSet) return;
  const predicted = model.classify(testSet);
  const wrong = [];
  for (let i = 0; i < predicted.length; i++) if (predicted[i] !== testSet.label(i)) wrong.push(i);
  $("misclassified-summary").textContent =
    `${wrong.length} of ${predicted.length} misclassified (${modelName})` +
    (wrong.length > 200 ? "; the first 200:" : ":");
  const box = $("misclassified");
  box.replaceChildren();
  for (const i of wrong.slice(0, 200)) {
    const button = document.createElement("button");
    button.type = "button";
    button.title = `image ${i}`;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 28;
    drawDigit(canvas.getContext("2d"), testSet.image(i));
    const caption = document.createElement("span");
    caption.textContent = `${testSet.label(i)}→${predicted[i]}`;
    button.append(canvas, caption);
    button.addEventListener("click", () => showTestImage(i));
    box.append(button);
  }
}

$("test-prev").addEventListener("click", () => showTestImage(testIndex - 1));
$("test-next").addEventListener("click", () => showTestImage(testIndex + 1));
$("test-index").addEventListener("change", (e) => showTestImage(Number(e.target.value)));
$("misclassified-button").addEventListener("click", showMisclassified);

// ---------------------------------------------------------------- weights from disk and to disk

/** Builds the network in the file (throwing, naming it, if it is not of the recipe's sizes);
 * returns what was assumed of a file that does not record its architecture, in words. */
function useWeights(name, bytes) {
  const assumed = model.load(name, bytes);
  modelName = `${name}, ${model.architecture()}`;
  predictDrawing();
  showTestImage(testIndex);
  return assumed;
}

$("model-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const assumed = useWeights(file.name, bytes);
    if (worker) worker.postMessage({ type: "load", name: file.name, bytes });
    status(assumed ? `loaded ${file.name}; ${assumed}` : `loaded ${file.name}`);
  } catch (e) {
    status(errorText(e), true);
  } finally {
    event.target.value = "";
  }
});

$("download").addEventListener("click", () => {
  const url = URL.createObjectURL(new Blob([model.save()], { type: "application/octet-stream" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: "model.safetensors" });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});

// ---------------------------------------------------------------- training in a worker

let worker = null;
const losses = [];
const epochs = []; // { epoch, seconds, steps, accuracy }
window.ferrograd.epochs = epochs;
window.ferrograd.losses = losses;
const lossCanvas = $("loss");
const lossPen = lossCanvas.getContext("2d");

function drawLosses() {
  const { width, height } = lossCanvas;
  lossPen.clearRect(0, 0, width, height);
  if (losses.length === 0) return;
  const top = Math.max(2.5, ...losses.slice(0, 50));
  const x = (i) => 36 + (i / Math.max(1, losses.length - 1)) * (width - 44);
  const y = (v) => 8 + (1 - Math.min(v, top) / top) * (height - 26);
  lossPen.strokeStyle = "#d5d9de";
  lossPen.fillStyle = "#5b6570";
  lossPen.font = "11px system-ui";
  for (let v = 0; v <= top; v += 0.5) {
    lossPen.beginPath(); lossPen.moveTo(36, y(v)); lossPen.lineTo(width - 8, y(v)); lossPen.stroke();
    lossPen.fillText(v.toFixed(1), 6, y(v) + 4);
  }
  lossPen.fillText(`step ${losses.length}`, width - 70, height - 4);
  // Each step's loss, faint, and a running mean over 50 steps.
  const stride = Math.max(1, Math.floor(losses.length / (width * 2)));
  lossPen.strokeStyle = "rgba(47, 111, 159, 0.35)";
  lossPen.beginPath();
  for (let i = 0; i < losses.length; i += stride) (i ? lossPen.lineTo : lossPen.moveTo).call(lossPen, x(i), y(losses[i]));
  lossPen.stroke();
  lossPen.strokeStyle = "#b7410e";
  lossPen.lineWidth = 2;
  lossPen.beginPath();
  let sum = 0;
  for (let i = 0; i < losses.length; i++) {
    sum += losses[i] - (i >= 50 ? losses[i - 50] : 0);
    if (i % stride === 0) (i ? lossPen.lineTo : lossPen.moveTo).call(lossPen, x(i), y(sum / Math.min(i + 1, 50)));
  }
  lossPen.stroke();
  lossPen.lineWidth = 1;
}

function startWorker() {
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.addEventListener("message", ({ data: m }) => {
    if (m.type === "steps") {
      losses.push(...m.losses);
      $("train-step").textContent = String(m.steps);
      $("train-epoch").textContent = `${m.epoch} (${m.batch}/${m.stepsPerEpoch})`;
      $("train-loss").textContent = m.losses[m.losses.length - 1].toFixed(4);
      $("train-rate").textContent = m.rate.toFixed(0);
      requestAnimationFrame(drawLosses);
    } else if (m.type === "weights") {
      try { useWeights("the page's training", m.bytes); } catch (e) { status(errorText(e), true); }
    } else if (m.type === "epoch") {
      epochs.push(m);
      $("test-accuracy").textContent = (m.accuracy * 100).toFixed(2);
      status(`epoch ${m.epoch}: ${m.seconds.toFixed(2)} s (${(m.steps / m.seconds).toFixed(0)} steps/s), test accuracy ${(m.accuracy * 100).toFixed(2)}%`);
    } else if (m.type === "status") {
      status(m.text, m.error);
      if (m.error) setTraining(false);
    } else if (m.type === "stopped") {
      setTraining(false);
    }
  });
  worker.addEventListener("error", (e) => { status(`training stopped: ${e.message}`, true); setTraining(false); });
}

function setTraining(on) {
  $("train-start").disabled = on;
  $("train-stop").disabled = !on;
  if (!on && worker) $("train-start").textContent = "Resume";
}

$("train-start").addEventListener("click", () => {
  if (!config.data) { status("the server has no MNIST files (start it with ferrograd serve --data DIR)", true); return; }
  if (!worker) startWorker();
  setTraining(true);
  const weights = losses.length === 0 ? model.save() : null; // start from the page's weights
  worker.postMessage({ type: "start", files: config.data, weights });
  status("training…");
});
$("train-stop").addEventListener("click", () => worker && worker.postMessage({ type: "stop" }));

// ---------------------------------------------------------------- graph

function drawGraph() {
  const graph = JSON.parse(sigmoid_graph());
  const format = (values, shape) => {
    const text = values.map((v) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(3)));
    if (shape.length === 2) {
      const cols = shape[1];
      return Array.from({ length: shape[0] }, (_, r) => `[${text.slice(r * cols, (r + 1) * cols).join(" ")}]`);
    }
    return [text.join(" ")];
  };
  const colW = 250, rowH = 150, boxW = 220, pad = 12;
  const boxes = graph.nodes.map((n) => {
    const lines = [{ cls: "op", text: n.op + (n.shape.length ? `  ${n.shape.join("×")}` : "") }];
    format(n.value, n.shape).forEach((t, i) => lines.push({ cls: "value", text: `${i ? "     " : "value"} ${t}` }));
    if (n.grad) format(n.grad, n.shape).forEach((t, i) => lines.push({ cls: "grad", text: `${i ? "     " : "grad "} ${t}` }));
    return { x: pad + n.layer * colW, y: pad + n.row * rowH, h: 14 * lines.length + 12, lines };
  });
  const width = pad * 2 + (Math.max(...graph.nodes.map((n) => n.layer)) + 1) * colW - (colW - boxW);
  const height = pad * 2 + Math.max(...boxes.map((b) => b.y + b.h));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("data-testid", "graph");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "computation graph of the sigmoid");
  svg.innerHTML = `<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#7c8791"/></marker></defs>`;
  for (const [from, to] of graph.edges) {
    const a = boxes[from], b = boxes[to];
    const x0 = a.x + boxW, y0 = a.y + a.h / 2, x1 = b.x, y1 = b.y + b.h / 2, mid = (x0 + x1) / 2;
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`);
    path.setAttribute("marker-end", "url(#arrow)");
    svg.append(path);
  }
  for (const box of boxes) {
    const g = document.createElementNS(ns, "g");
    g.setAttribute("class", "node");
    const rect = document.createElementNS(ns, "rect");
    Object.entries({ x: box.x, y: box.y, width: boxW, height: box.h, rx: 5 }).forEach(([k, v]) => rect.setAttribute(k, v));
    g.append(rect);
    box.lines.forEach((line, i) => {
      const text = document.createElementNS(ns, "text");
      text.setAttribute("x", box.x + 8);
      text.setAttribute("y", box.y + 18 + 14 * i);
      text.setAttribute("class", line.cls);
      text.textContent = line.text;
      g.append(text);
    });
    svg.append(g);
  }
  $("graph-box").replaceChildren(svg);
}
drawGraph();

// ---------------------------------------------------------------- test set

if (config.data) {
  try {
    const [images, labels] = [config.data.test_images, config.data.test_labels];
    testSet = new ImageSet(images, await fetchBytes(images), labels, await fetchBytes(labels));
    showTestImage(0);
  } catch (e) {
    status(`cannot load the test images: ${errorText(e)}`, true);
  }
}
if (!statusLine.classList.contains("error")) {
  status(`ready: model ${modelName}` + (config.data ? `, ${testSet.len()} test images` : ", no MNIST files on the server"));
}
document.body.dataset.ready = "true";
