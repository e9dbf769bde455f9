// Trains the recipe off the page's thread: a few steps at a time, so Stop and new weights get
// through between them. Posts each batch of losses, the weights every half second, and the
// test accuracy after each epoch.
import init, { ImageSet, Trainer } from "./pkg/ferrograd_web.js";

let trainer = null;
let running = false;
let epochStarted = 0, epochTrainSeconds = 0;

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function setUp(files, weights) {
  await init();
  postMessage({ type: "status", text: "loading the MNIST files…" });
  const load = async (images, labels) => new ImageSet(images, await fetchBytes(images), labels, await fetchBytes(labels));
  const train = await load(files.train_images, files.train_labels);
  const test = await load(files.test_images, files.test_labels);
  trainer = new Trainer(train, test, 0); // takes both sets over
  if (weights) trainer.load("the page's weights", weights);
  postMessage({ type: "status", text: "training…" });
}

function sendWeights() {
  const bytes = trainer.save();
  postMessage({ type: "weights", bytes }, [bytes.buffer]);
}

/** Runs steps for about `sliceMs`, then lets messages in. */
function loop() {
  if (!running) {
    sendWeights();
    postMessage({ type: "stopped" });
    return;
  }
  const started = performance.now();
  let losses = [];
  let ended = false;
  while (performance.now() - started < 100) {
    const more = trainer.run(16);
    if (more.length === 0) { ended = true; break; }
    losses.push(...more);
  }
  const seconds = (performance.now() - started) / 1000;
  epochTrainSeconds += seconds;
  if (losses.length) {
    postMessage({
      type: "steps", losses, steps: trainer.steps(), epoch: trainer.epoch() + 1,
      batch: trainer.batch(),
      stepsPerEpoch: trainer.steps_per_epoch(), rate: losses.length / seconds,
    });
  }
  if (performance.now() - lastWeights > 500) { sendWeights(); lastWeights = performance.now(); }
  if (ended) {
    // trainer.run returned nothing: the epoch is over and the next call starts a new one.
    const accuracy = trainer.test_accuracy();
    postMessage({
      type: "epoch", epoch: trainer.epoch(), seconds: epochTrainSeconds,
      wall: (performance.now() - epochStarted) / 1000, steps: trainer.steps_per_epoch(), accuracy,
    });
    sendWeights();
    epochTrainSeconds = 0;
    epochStarted = performance.now();
  }
  setTimeout(loop, 0);
}
let lastWeights = 0;

onmessage = async ({ data: m }) => {
  try {
    if (m.type === "start") {
      if (!trainer) await setUp(m.files, m.weights);
      if (running) return;
      running = true;
      if (!epochStarted) epochStarted = performance.now();
      loop();
    } else if (m.type === "stop") {
      running = false;
    } else if (m.type === "load") {
      if (trainer) trainer.load(m.name, m.bytes);
    }
  } catch (e) {
    running = false;
    postMessage({ type: "status", text: `training stopped: ${(e && e.message) || e}`, error: true });
  }
};
