// Opens the web map RUNS times in headless Chromium (a fresh browser context each time, so
// nothing is cached) and prints, per run, when the first tile arrived and when the map was first
// idle, in ms after navigation started. Usage: node web-first-tiles.mjs BASE_URL RUNS
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
  const first = await page.evaluate(() => window.diachinh.firstTileMs);
  console.log(`${first.toFixed(0)} ${idle.toFixed(0)}`);
  await context.close();
}
await browser.close();
