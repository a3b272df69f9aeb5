// Signs in to the web map in headless Chromium as an officer would: the sign-in form, the
// initial password changed, who is signed in shown in the corner, holders on a parcel card in the
// account's scope, the parcel's land use edited from its card and its history grown, the map
// redrawn as of the day before, a change without the CSRF token refused, sign out. Prints what it
// saw as JSON.
// Usage: node web-signin.mjs BASE_URL OUT_DIR USERNAME INITIAL_PASSWORD NEW_PASSWORD PARCEL_ID
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [base, out, username, initial, changed, parcelId] = process.argv.slice(2);
let step = "launch";
process.on("uncaughtException", (e) => { console.error(`failed while ${step}: ${e.stack}`); process.exit(1); });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(e.message));
const seen = {};
const ready = async () => { await page.waitForFunction(() => window.diachinh?.ready); };
// Submits a form whose answer reloads the page, and waits for the map again.
async function submitAndReload(button) {
  await Promise.all([page.waitForEvent("load"), page.click(button)]);
  await ready();
}
const corner = () => page.evaluate(() => ({
  signIn: !!document.getElementById("signin-open"),
  who: document.getElementById("who")?.innerText ?? null,
  signInForm: document.getElementById("signin").checkVisibility(),
  newPassword: document.getElementById("newpassword").checkVisibility(),
}));
async function card() {
  await page.fill("#code", parcelId);
  await page.click("#search button");
  await page.waitForFunction((id) => document.querySelector('#card dd[data-field="parcel_id"]')?.textContent === id, parcelId);
  return page.evaluate(() => document.querySelector('#card dd[data-field="holders"]')?.textContent ?? null);
}

step = "opening the map anonymously";
await page.goto(`${base}/`);
await ready();
seen.anonymous = { corner: await corner(), holders: await card() };

step = "signing in with the initial password";
await page.click("#signin-open");
await page.fill("#username", username);
await page.fill("#password", "not the password");
await page.click("#signin button");
await page.waitForFunction(() => !document.getElementById("message").hidden);
seen.wrongPassword = await page.textContent("#message");
await page.fill("#password", initial);
await submitAndReload("#signin button");
seen.initial = await corner();

step = "changing the initial password";
await page.fill("#current", initial);
await page.fill("#new", changed);
await submitAndReload("#newpassword button");
seen.signedIn = { corner: await corner(), holders: await card() };
writeFileSync(`${out}/signed-in.png`, await page.screenshot());
const cookie = (await context.cookies()).find((c) => c.name === "diachinh_session");
seen.cookie = cookie && { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, secure: cookie.secure };
seen.scriptSeesCookie = await page.evaluate(() => document.cookie.includes("diachinh_session"));

step = "editing the parcel from its card";
const historyItems = () => page.evaluate(() => document.querySelectorAll("#history ol:first-of-type li").length);
seen.editForm = await page.evaluate(() => !!document.getElementById("edit"));
seen.versionsBefore = await historyItems();
const landUse = await page.inputValue("#edit-land_use");
seen.newLandUse = landUse === "TMD" ? "ODT" : "TMD";
await page.fill("#edit-land_use", seen.newLandUse);
await page.click("#edit button");
await page.waitForFunction((lu) => document.querySelector('#card dd[data-field="land_use"]')?.textContent === lu
  || !document.getElementById("message").hidden, seen.newLandUse);
seen.saved = await page.textContent("#message");
await page.waitForFunction(() => document.querySelector("#history"));
seen.versionsAfter = await historyItems();

step = "the map of the day before";
const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
await page.fill("#on", yesterday);
await page.dispatchEvent("#on", "change");
seen.tilesOn = await page.evaluate(() => window.diachinh.map.getSource("diachinh").url);
seen.hashOn = await page.evaluate(() => location.hash);
await page.fill("#code", parcelId);
await page.click("#search button");
await page.waitForFunction(() => !document.getElementById("message").hidden);
seen.cardYesterday = await page.textContent("#message");
await page.fill("#on", "");
await page.dispatchEvent("#on", "change");

step = "a change without the CSRF token";
seen.withoutToken = await page.evaluate(async () => {
  const r = await fetch("/api/session", { method: "DELETE" });
  return { status: r.status, message: (await r.json()).message };
});

step = "signing out";
await submitAndReload("#signout");
seen.signedOut = { corner: await corner(), holders: await card() };
seen.errors = errors;
console.log(JSON.stringify(seen));
await browser.close();
