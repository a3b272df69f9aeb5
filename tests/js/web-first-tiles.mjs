// Opens the web map in headless Chromium (a fresh browser context each time, so nothing is
// cached) and prints, per page, in ms after navigation started: when the first tile's bytes were
// in (resource timing), when the map had the first tile (MapLibre's data event: the worker has
// decoded it) and when the map was first idle. The first page is a browser's first, navigated as
// soon as the browser is launched; the second is a browser's first too, navigated from a blank
// tab opened 1 s before, as a person types the address into a browser that has started
// (Chromium goes on starting its GPU process for about half a second after `launch` returns, and
// a page opened in that time shares the two cores with it); then RUNS more pages in that
// browser. Usage: node web-first-tiles.mjs BASE_URL RUNS
import { chromium } from "playwright-core";

const [base, runs] = process.argv.slice(2);
const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
  });

async function firstTiles(browser, label, settle = 0) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  await new Promise((resolve) => setTimeout(resolve, settle));
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
  console.log(`${label} ${received.toFixed(0)} ${first.toFixed(0)} ${idle.toFixed(0)}`);
  await context.close();
}

const launched = await launch();
await firstTiles(launched, "just-launched");
await launched.close();
const browser = await launch();
await firstTiles(browser, "blank-tab-for-1s", 1000);
for (let i = 0; i < Number(runs); i++) await firstTiles(browser, "running");
await browser.close();
