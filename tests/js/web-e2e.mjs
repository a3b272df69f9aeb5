// Drives the web map in headless Chromium (Debian's /usr/bin/chromium through playwright-core)
// as a planner would, saves screenshots, and prints what it saw as JSON for the Rust test to check.
// Usage: node web-e2e.mjs BASE_URL OUT_DIR PARCEL_ID LEGACY_KEY LON LAT PRODUCT_ID
import { chromium } from "playwright-core";
import { PNG } from "pngjs";
import { writeFileSync } from "node:fs";

const [base, out, parcelId, legacyKey, lon, lat, productId] = process.argv.slice(2);
// The step under way, named in the report if one fails.
let step = "launch";
process.on("uncaughtException", (e) => { console.error(`failed while ${step}: ${e.stack}`); process.exit(1); });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // WebGL in software: no GPU on these machines.
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
const errors = [];
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
page.on("pageerror", (e) => errors.push(e.message));

const idle = () => page.evaluate(() => new Promise((resolve) => {
  const map = window.diachinh.map;
  if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) resolve();
  else map.once("idle", () => resolve());
}));
async function shot(name) {
  const buf = await page.locator("#map").screenshot();
  writeFileSync(`${out}/${name}.png`, buf);
  return PNG.sync.read(buf);
}
// Pixels within `tol` of colour `hex` on every channel.
function near(png, hex, tol = 10) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (Math.abs(png.data[i] - r) <= tol && Math.abs(png.data[i + 1] - g) <= tol && Math.abs(png.data[i + 2] - b) <= tol) n++;
  }
  return n;
}
function changed(a, b) {
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]) > 30) n++;
  }
  return n;
}
const card = async () => page.evaluate(() => {
  const fields = {};
  document.querySelectorAll("#card dd[data-field]").forEach((d) => { fields[d.dataset.field] = d.textContent; });
  return { visible: !document.getElementById("card").hidden, title: document.querySelector("#card h3")?.textContent, fields,
           download: document.querySelector("#card a[download]")?.getAttribute("href") };
});
const message = async () => page.evaluate(() => { const m = document.getElementById("message"); return m.hidden ? "" : m.textContent; });
// Waits for a condition in the page; if it never comes, says what the page showed.
async function until(condition, arg) {
  try {
    await page.waitForFunction(condition, arg);
  } catch (e) {
    const input = await page.inputValue("#code");
    console.error("the page showed:", JSON.stringify({ card: await card(), message: await message(), input }));
    throw e;
  }
}
async function search(code) {
  await page.fill("#code", code);
  await page.press("#code", "Enter");
}

step = "loading the page";
const started = Date.now();
await page.goto(`${base}/`);
await page.waitForFunction(() => window.diachinh?.ready);
await idle();
const firstIdleMs = Date.now() - started;
const seen = { firstIdleMs, firstTileMs: await page.evaluate(() => window.diachinh.firstTileMs), loadErrors: [...errors] };
seen.opened = await page.evaluate(() => {
  const b = window.diachinh.map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
});
seen.panel = await page.evaluate(() => [...document.querySelectorAll("#layers li")].map((li) => ({
  group: li.dataset.group, legend: li.querySelectorAll(".legend span").length,
})));

step = "drawing parcels at street level";
// Parcels at street level: the land-use colours are on the canvas.
await page.evaluate(([x, y]) => window.diachinh.map.jumpTo({ center: [x, y], zoom: 17 }), [Number(lon), Number(lat)]);
await idle();
const cadastral = await shot("cadastral");
const odt = await page.evaluate(() => {
  const l = window.diachinh.map.getStyle().layers.find((l) => l.id === "parcels-fill");
  const c = l.paint["fill-color"];
  return { colour: c[c.indexOf("ODT") + 1], opacity: l.paint["fill-opacity"] ?? 1 };
});
// The fill drawn over the background (#f4f1ea) at its opacity.
const blend = (hex, a) => "#" + [1, 3, 5].map((i) => {
  const over = parseInt(hex.slice(i, i + 2), 16), under = parseInt("f4f1ea".slice(i - 1, i + 1), 16);
  return Math.round(over * a + under * (1 - a)).toString(16).padStart(2, "0");
}).join("");
const odtDrawn = typeof odt.opacity === "number" ? blend(odt.colour, odt.opacity) : odt.colour;
seen.pixels = { total: cadastral.width * cadastral.height, odt: near(cadastral, odtDrawn), background: near(cadastral, "#f4f1ea", 3) };

step = "switching the ownership layer";
// Switching a layer on changes the picture.
await page.click('#layers li[data-group="ownership"] input[type=checkbox]');
await idle();
const ownership = await shot("ownership");
seen.ownershipChanged = changed(cadastral, ownership);
await page.click('#layers li[data-group="ownership"] input[type=checkbox]');
await page.click('#layers li[data-group="planning"] input[type=checkbox]');
seen.hash = await page.evaluate(() => location.hash);

step = "searching a legacy key";
// Search by legacy key: the map flies there and the card opens.
await page.evaluate(() => window.diachinh.map.jumpTo({ center: [106, 16], zoom: 6 }));
await search(legacyKey);
await until(() => !document.getElementById("card").hidden);
await page.waitForTimeout(800);
await idle();
seen.searched = await card();
seen.searchedCentre = await page.evaluate(() => window.diachinh.map.getCenter().toArray());
await shot("searched");

step = "clicking a parcel";
// A click on a known point opens that parcel's card.
await page.evaluate(([x, y]) => window.diachinh.map.jumpTo({ center: [x, y], zoom: 18 }), [Number(lon), Number(lat)]);
await idle();
// Empty the card the search opened, so only the click can fill it again.
await page.evaluate(() => { const c = document.getElementById("card"); c.hidden = true; c.innerHTML = ""; });
const box = await page.locator("#map").boundingBox();
const px = await page.evaluate(([x, y]) => window.diachinh.map.project([x, y]), [Number(lon), Number(lat)]);
await page.mouse.click(box.x + px.x, box.y + px.y);
await until((id) => document.querySelector('#card dd[data-field="parcel_id"]')?.textContent === id, parcelId);
seen.clicked = await card();

step = "searching a unit and unknown codes";
// A product ID opens its unit; unknown and malformed codes say so.
await search(productId);
await until(() => document.querySelector("#card h3")?.textContent.startsWith("Căn hộ"));
seen.unit = await card();
// The unit's parcel: its card names the project and counts the units.
await search(seen.unit.fields.parcel_id);
await until((id) => document.querySelector("#card h3")?.textContent.endsWith(id), seen.unit.fields.parcel_id);
seen.unitParcel = await card();
await search("zzzzzzzzzzzz");
await until(() => !document.getElementById("message").hidden);
seen.unknown = await message();
await search("no such thing");
await until(() => document.getElementById("message").textContent.includes("hợp lệ"));
seen.malformed = await message();

step = "switching language and reopening the shared URL";
// English on request, and the view in the URL reopens as it was.
await page.click("#lang");
seen.english = await page.evaluate(() => document.querySelector("#panel h2").textContent);
const shared = page.url();
const again = await browser.newPage({ viewport: { width: 1000, height: 700 } });
await again.goto(shared);
await again.waitForFunction(() => window.diachinh?.ready);
seen.reopened = await again.evaluate(() => ({
  centre: window.diachinh.map.getCenter().toArray(), zoom: window.diachinh.map.getZoom(),
  planning: window.diachinh.map.getLayoutProperty("planning-fill", "visibility"),
  heading: document.querySelector("#panel h2").textContent,
}));
seen.sharedUrl = shared;
await browser.close();
console.log(JSON.stringify(seen));
