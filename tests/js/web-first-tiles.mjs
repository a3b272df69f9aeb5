// Opens the web map RUNS times in headless Chromium (a fresh browser context each time, so
// nothing is cached) and prints, per run, in ms after navigation started: when the first tile's
// bytes were in (resource timing), when the map had the first tile (MapLibre's data event: the
// worker has decoded it) and when the map was first idle. Usage: node web-first-tiles.mjs
// BASE_URL RUNS
import { chromium } from "playwright-core";

const [base, runs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
for (let i = 0; i < Number(runs); i++) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.diachinh?.firstTileMs !== undefined, null, { timeout: 30000 });
  const idle = await page.evaluate(() => new Promise((resolve) => {
    const map = window.diachinh.map;
    const done = () => resolve(performance.now());
    if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) done();
    else map.once("idle", done);
  }));
  const [received, first] = await page.evaluate(() => [
    Math.min(...performance.getEntriesByType("resource").filter((e) => e.name.includes("/tiles/")).map((e) => e.responseEnd)),
    window.diachinh.firstTileMs,
  ]);
  console.log(`${received.toFixed(0)} ${first.toFixed(0)} ${idle.toFixed(0)}`);
  await context.close();
}
await browser.close();
