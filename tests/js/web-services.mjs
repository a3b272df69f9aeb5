// The public's services on the web map in headless Chromium: a pending notice shown above the
// panel, an error reported from a parcel's card ("Báo sai sót") and its data requested (form
// 13/ĐK). Prints what it saw as JSON.
// Usage: node web-services.mjs BASE_URL PARCEL_ID
import { chromium } from "playwright-core";

const [base, parcelId] = process.argv.slice(2);
let step = "launch";
process.on("uncaughtException", (e) => { console.error(`failed while ${step}: ${e.stack}`); process.exit(1); });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
const seen = {};

step = "opening the map";
await page.goto(`${base}/`);
await page.waitForFunction(() => window.diachinh?.ready);
await page.waitForFunction(() => !document.getElementById("notice").hidden);
seen.notice = await page.textContent("#notice");
seen.openDataLink = await page.getAttribute("#panel a[href='/open-data']", "href");

step = "reporting an error from the parcel's card";
await page.fill("#code", parcelId);
await page.click("#search button");
await page.waitForSelector("#report-open");
await page.click("#report-open");
await page.fill("#report textarea[name=reportMessage]", "Ranh giới phía bắc lệch 2 m so với thực địa");
await page.fill("#report input[name=contact]", "0987 654 321");
await page.click("#report button[type=submit]");
await page.waitForFunction(() => !document.getElementById("message").hidden && document.getElementById("message").textContent);
seen.reported = await page.textContent("#message");

step = "requesting the parcel's data";
await page.click("#request-open");
await page.fill("#request input[name=requesterName]", "Nguyễn Văn Bình");
await page.fill("#request input[name=contact]", "binh@example.vn");
await page.fill("#request textarea[name=purpose]", "Thiết kế nhà ở");
await page.selectOption("#request select[name=format]", "csv");
await page.click("#request button[type=submit]");
await page.waitForFunction((before) => document.getElementById("message").textContent !== before, seen.reported);
seen.requested = await page.textContent("#message");
seen.errors = errors;
console.log(JSON.stringify(seen));
await browser.close();
