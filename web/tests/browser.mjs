// Shared by the browser tests and the benchmark: Debian's headless Chromium through
// playwright-core, and `ferrograd serve` on a free port.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The `ferrograd` binary: `$FERROGRAD_BIN`, else this checkout's release build. */
export const bin = process.env.FERROGRAD_BIN || join(root, "target", "release", "ferrograd");

/** Headless Chromium with background networking off and a fresh profile. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "ferrograd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const close = async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); };
  return { context, close };
}

/** Starts `ferrograd serve --port 0 ARGS...` (with `--page $FERROGRAD_PAGE` when set) and
 * resolves to its URL and a stop function. */
export function serve(args) {
  const page = process.env.FERROGRAD_PAGE ? ["--page", process.env.FERROGRAD_PAGE] : [];
  const child = spawn(bin, ["serve", "--port", "0", ...page, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  return new Promise((ok, fail) => {
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      const match = stdout.match(/http:\/\/[0-9.]+:[0-9]+\//);
      if (match) ok({ url: match[0], stop: () => child.kill() });
    });
    child.on("exit", (code) => fail(new Error(`ferrograd serve exited with ${code}: ${stderr}`)));
  });
}
