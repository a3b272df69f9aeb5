// Opens the web map in headless Chromium as a planner would, with no view in the URL, and reports
// what the map area (not the panel over it) shows once idle: its view, its bounds, how much of
// it is background, and the tiles the page asked for before the map started (web/early.js).
// Usage: node web-opening.mjs BASE_URL OUT_PNG
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import { writeFileSync } from "node:fs";

const [base, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
await page.goto(`${base}/`);
await page.waitForFunction(() => window.diachinh?.ready);
await page.evaluate(() => new Promise((resolve) => {
  const map = window.diachinh.map;
  if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) resolve();
  else map.once("idle", () => resolve());
}));
const buf = await page.locator("#map").screenshot();
writeFileSync(out, buf);
const png = PNG.sync.read(buf);
// The map area is what the panel (and the card, if open) leaves uncovered.
const map = await page.locator("#map").boundingBox();
const covers = await page.evaluate(() => ["panel", "card"].map((id) => document.getElementById(id))
  .filter((e) => e && !e.hidden).map((e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }));
const covered = (x, y) => covers.some(([l, t, r, b]) => x + map.x >= l && x + map.x < r && y + map.y >= t && y + map.y < b);
// Pixels of the map area, and those of the style's background colour (#f4f1ea, give or take 3).
let pixels = 0, background = 0;
for (let y = 0; y < png.height; y++) {
  for (let x = 0; x < png.width; x++) {
    if (covered(x, y)) continue;
    pixels++;
    const i = (y * png.width + x) * 4;
    if ([0xf4, 0xf1, 0xea].every((c, k) => Math.abs(png.data[i + k] - c) <= 3)) background++;
  }
}
const view = await page.evaluate(() => ({
  zoom: window.diachinh.map.getZoom(),
  centre: window.diachinh.map.getCenter().toArray(),
  bounds: window.diachinh.map.getBounds().toArray().flat(),
  // MapLibre's worker asks for tiles from its own context: the page's own tile requests are the early ones.
  early: performance.getEntriesByType("resource").filter((e) => e.initiatorType === "fetch" && e.name.includes(".mvt")).map((e) => e.name),
}));
console.log(JSON.stringify({ ...view, pixels, background }));
await browser.close();
