// The planners' map: this server's styles drawn by MapLibre, overlays switched in a panel with
// legends read from the styles, search by parcel or product code, and a card for each parcel.
// The view (centre, zoom, layers, language) lives in the URL hash so it can be shared.
"use strict";

const TEXT = {
  vi: {
    title: "Bản đồ địa chính", find: "Tìm", layers: "Lớp bản đồ", placeholder: "Mã thửa, xã-tờ-thửa hoặc mã căn hộ",
    cadastral: "Thửa đất", planning: "Quy hoạch", pricing: "Bảng giá đất", ownership: "Sở hữu", projects: "Dự án",
    opacity: "Độ mờ", notFound: "Không tìm thấy", badCode: "Mã không hợp lệ", noParcel: "Không có thửa đất tại điểm này",
    parcel: "Thửa đất", unit: "Căn hộ", parcel_id: "Mã thửa", legacy_key: "Xã-tờ-thửa", commune: "Xã/phường",
    land_use: "Loại đất", legal_area: "Diện tích pháp lý", computed_area: "Diện tích tính toán", address: "Địa chỉ",
    planning_zones: "Quy hoạch", price: "Giá đất", ownership_category: "Sở hữu", project: "Dự án", units: "Căn hộ",
    download: "Tải GeoJSON", product_id: "Mã sản phẩm", building: "Tòa", floor: "Tầng", unit_no: "Số căn",
    floor_area: "Diện tích sàn", status: "Trạng thái", none: "—", close: "Đóng",
    signIn: "Đăng nhập", signOut: "Đăng xuất", username: "Tên đăng nhập", password: "Mật khẩu", holders: "Người sử dụng đất",
    everywhere: "toàn quốc", initialPassword: "Tài khoản còn mật khẩu ban đầu: hãy đổi mật khẩu.",
    changePassword: "Đổi mật khẩu", currentPassword: "Mật khẩu hiện tại", newPassword: "Mật khẩu mới",
  },
  en: {
    title: "Cadastral map", find: "Find", layers: "Layers", placeholder: "Parcel ID, commune-sheet-parcel or unit ID",
    cadastral: "Parcels", planning: "Planning", pricing: "Land prices", ownership: "Ownership", projects: "Projects",
    opacity: "Opacity", notFound: "Not found", badCode: "Not a valid code", noParcel: "No parcel at this point",
    parcel: "Parcel", unit: "Housing unit", parcel_id: "Parcel ID", legacy_key: "Commune-sheet-parcel", commune: "Commune",
    land_use: "Land use", legal_area: "Legal area", computed_area: "Computed area", address: "Address",
    planning_zones: "Planning", price: "Land price", ownership_category: "Ownership", project: "Project", units: "Units",
    download: "Download GeoJSON", product_id: "Product ID", building: "Building", floor: "Floor", unit_no: "Unit",
    floor_area: "Floor area", status: "Status", none: "—", close: "Close",
    signIn: "Sign in", signOut: "Sign out", username: "Username", password: "Password", holders: "Land users",
    everywhere: "whole country", initialPassword: "This account still has its initial password: change it.",
    changePassword: "Change password", currentPassword: "Current password", newPassword: "New password",
  },
};

// Overlay groups: the style each comes from and the layers of it that the group switches.
const GROUPS = [
  { id: "cadastral", style: "cadastral", layers: ["parcels-fill", "parcels-line", "communes-fill"] },
  { id: "planning", style: "planning", layers: ["planning-fill", "planning-line"] },
  { id: "pricing", style: "pricing", layers: ["pricing-line"] },
  { id: "ownership", style: "ownership", layers: ["ownership-fill", "ownership-line"] },
  { id: "projects", style: null, layers: ["projects-fill", "projects-line"] },
];
const TILESET = "/tiles/admin,parcels,planning,pricing,ownership,projects.json";
// The streets the service knows (the centre lines of the land-price segments), drawn under every
// map since no external base map is reachable.
const STREETS = { id: "streets", type: "line", source: "diachinh", "source-layer": "pricing",
  paint: { "line-color": "#cfc8b8", "line-width": ["interpolate", ["linear"], ["zoom"], 12, 1, 18, 8] } };
// No style draws projects yet; their outline is the same on every map.
const PROJECT_LAYERS = [
  { id: "projects-fill", type: "fill", source: "diachinh", "source-layer": "projects",
    paint: { "fill-color": "#8e44ad", "fill-opacity": 0.25 } },
  { id: "projects-line", type: "line", source: "diachinh", "source-layer": "projects",
    paint: { "line-color": "#8e44ad", "line-width": 2 } },
];

const params = new URLSearchParams(location.hash.slice(1));
let lang = params.get("lang") === "en" ? "en" : "vi";
const shown = new Set((params.get("layers") || "cadastral").split(",").filter((g) => GROUPS.some((x) => x.id === g)));
const t = (key) => TEXT[lang][key] ?? key;
const $ = (id) => document.getElementById(id);

function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// Who is signed in (`/api/me`); a session's changes carry its CSRF token.
let me = { anonymous: true };

async function getJson(url, init = {}) {
  const r = await fetch(url, init);
  const body = r.status === 204 ? {} : await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.message || r.statusText), { status: r.status });
  return body;
}

/** A state-changing request: JSON body, with the session's CSRF token. */
function send(method, url, body) {
  const headers = { "content-type": "application/json" };
  if (me.csrf) headers["x-csrf-token"] = me.csrf;
  return getJson(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The base style with every overlay's layers added (one tile source for all), boundaries on top. */
async function composeStyle() {
  const names = ["cadastral", "planning", "pricing", "ownership"];
  const fetched = await Promise.all(names.map((name) => getJson(`/styles/${name}.json`)));
  const styles = Object.fromEntries(names.map((name, i) => [name, fetched[i]]));
  const style = styles.cadastral;
  style.sources.diachinh.url = new URL(TILESET, location.href).href;
  const top = style.layers.findIndex((l) => l.id === "communes-line");
  const overlays = [];
  for (const g of GROUPS.filter((g) => g.style && g.style !== "cadastral")) {
    for (const l of styles[g.style].layers.filter((l) => g.layers.includes(l.id))) overlays.push({ ...l, source: "diachinh" });
  }
  style.layers.splice(top, 0, ...overlays, ...PROJECT_LAYERS);
  style.layers.splice(1, 0, STREETS);
  for (const g of GROUPS) {
    for (const l of style.layers.filter((l) => g.layers.includes(l.id))) {
      l.layout = { ...(l.layout || {}), visibility: shown.has(g.id) ? "visible" : "none" };
    }
  }
  return style;
}

// The categories each layer's data holds (the TileJSON's tilestats): layer → field → values.
let present = {};

/** The tilestats of a TileJSON as layer → field → set of values. */
function categories(tilejson) {
  const out = {};
  for (const l of tilejson.tilestats?.layers ?? []) {
    out[l.layer] = Object.fromEntries((l.attributes ?? []).map((a) => [a.attribute, new Set(a.values)]));
  }
  return out;
}

/** The values a style expression (`["get", p]` or `["slice", ["get", p], a, b]`) takes over the
 * layer's data, when the tilestats say; undefined when they do not. */
function heldValues(layer, input) {
  if (!Array.isArray(input)) return undefined;
  const held = (get) => (Array.isArray(get) && get[0] === "get" ? present[layer["source-layer"]]?.[get[1]] : undefined);
  if (input[0] === "get") return held(input);
  const values = input[0] === "slice" ? held(input[1]) : undefined;
  return values && new Set([...values].map((v) => v.slice(input[2], input[3])));
}

/** Legend entries read from a layer's colour expression: match → value/colour pairs (only the
 * values the data holds, when the tilestats list them), step → classes. */
function legend(layer) {
  const paint = layer.paint || {};
  const colour = paint["fill-color"] ?? paint["line-color"];
  if (Array.isArray(colour) && colour[0] === "match") {
    const held = heldValues(layer, colour[1]);
    const entries = [];
    for (let i = 2; i + 1 < colour.length; i += 2) {
      const values = (Array.isArray(colour[i]) ? colour[i] : [colour[i]]).filter((v) => !held || held.has(v));
      if (values.length) entries.push([values.join(", "), colour[i + 1]]);
    }
    return entries;
  }
  if (Array.isArray(colour) && colour[0] === "step") {
    const entries = [[`< ${(colour[3] / 1e6).toLocaleString()} tr.`, colour[2]]];
    for (let i = 3; i + 1 < colour.length; i += 2) entries.push([`≥ ${(colour[i] / 1e6).toLocaleString()} tr.`, colour[i + 1]]);
    return entries;
  }
  return typeof colour === "string" ? [["", colour]] : [];
}

function writeHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  p.set("layers", [...shown].join(","));
  p.set("lang", lang);
  history.replaceState(null, "", "#" + p.toString().replace(/%2F/g, "/").replace(/%2C/g, ","));
}

function renderPanel(map) {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((e) => { e.textContent = t(e.dataset.t); });
  $("lang").textContent = lang === "vi" ? "English" : "Tiếng Việt";
  $("code").placeholder = t("placeholder");
  $("username").placeholder = t("username");
  $("password").placeholder = t("password");
  $("current").placeholder = t("currentPassword");
  $("new").placeholder = t("newPassword");
  renderAccount();
  const list = $("layers");
  list.innerHTML = "";
  for (const g of GROUPS) {
    const layers = g.layers.map((id) => map.getLayer(id)).filter(Boolean);
    const li = document.createElement("li");
    li.dataset.group = g.id;
    const swatches = legend(map.getStyle().layers.find((l) => l.id === g.layers[0]) || {})
      .map(([label, c]) => `<span style="--swatch:${escapeHtml(c)}">${escapeHtml(label)}</span>`).join("");
    li.innerHTML = `<label><input type="checkbox" ${shown.has(g.id) ? "checked" : ""}> ${escapeHtml(t(g.id))}</label>
      <input type="range" min="0" max="1" step="0.05" value="1" aria-label="${escapeHtml(t("opacity"))}">
      <div class="legend">${swatches}</div>`;
    li.querySelector("input[type=checkbox]").addEventListener("change", (e) => {
      if (e.target.checked) shown.add(g.id); else shown.delete(g.id);
      for (const l of layers) map.setLayoutProperty(l.id, "visibility", e.target.checked ? "visible" : "none");
      writeHash();
    });
    li.querySelector("input[type=range]").addEventListener("input", (e) => {
      for (const l of layers) map.setPaintProperty(l.id, `${l.type}-opacity`, Number(e.target.value));
    });
    list.appendChild(li);
  }
}

/** The corner: a sign-in button, or who is signed in (name, roles, scope) and a sign-out button. */
function renderAccount() {
  const box = $("account");
  if (me.anonymous) {
    box.innerHTML = `<span></span><button id="signin-open" type="button">${escapeHtml(t("signIn"))}</button>`;
    box.querySelector("button").addEventListener("click", () => { $("signin").hidden = !$("signin").hidden; $("username").focus(); });
  } else {
    const scope = me.scope.length ? me.scope.join(", ") : t("everywhere");
    box.innerHTML = `<span id="who"><strong>${escapeHtml(me.name)}</strong><br>${escapeHtml(me.roles.join(", "))} · ${escapeHtml(scope)}</span>
      <button id="signout" type="button">${escapeHtml(t("signOut"))}</button>`;
    box.querySelector("button").addEventListener("click", () => send("DELETE", "/api/session").then(() => location.reload(), (e) => say(e.message)));
  }
  $("newpassword").hidden = !me.initial_password;
}

function wireAccount() {
  $("signin").addEventListener("submit", async (e) => {
    e.preventDefault();
    say("");
    try {
      await send("POST", "/api/session", { username: $("username").value.trim(), password: $("password").value });
      // Tiles, cards and filters now answer for the account: start again with its view.
      location.reload();
    } catch (err) {
      say(err.message);
    }
  });
  $("newpassword").addEventListener("submit", async (e) => {
    e.preventDefault();
    say("");
    try {
      await send("POST", "/api/me/password", { current: $("current").value, new: $("new").value });
      location.reload();
    } catch (err) {
      say(err.message);
    }
  });
}

function say(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

function bounds(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === "number") {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[b[0], b[1]], [b[2], b[3]]];
}

function highlight(map, geometry) {
  map.getSource("highlight").setData(geometry ? { type: "Feature", geometry, properties: {} } : { type: "FeatureCollection", features: [] });
}

function showCard(title, rows, links = "") {
  const card = $("card");
  const dl = rows.map(([k, v]) => `<dt>${escapeHtml(t(k))}</dt><dd data-field="${k}">${v === null || v === undefined || v === "" ? t("none") : escapeHtml(v)}</dd>`).join("");
  card.innerHTML = `<button class="close" type="button">${escapeHtml(t("close"))}</button><h3>${escapeHtml(title)}</h3><dl>${dl}</dl>${links}`;
  card.querySelector(".close").addEventListener("click", () => { card.hidden = true; });
  card.hidden = false;
}

const area = (m2) => (m2 === null || m2 === undefined ? null : `${Number(m2).toLocaleString(lang, { maximumFractionDigits: 1 })} m²`);

function parcelCard(f) {
  const p = f.properties;
  const planning = (p.planning || []).map((z) => `${z.zone_code} ${(z.land_use || []).join("+")} ${Math.round(z.share * 100)}%`).join("; ");
  const project = p.project; // the project's code, when the parcel is in one
  // Holders come only where the signed-in account may see them.
  const holders = p.holders && p.holders.map((h) => {
    const details = [h.kind, `${Math.round(h.share * 100)}%`, h.personal_id || h.tax_id, h.certificate_no].filter(Boolean);
    return `${h.name} (${details.join(", ")})`;
  }).join("; ");
  showCard(`${t("parcel")} ${p.parcel_id}`, [
    ["parcel_id", p.parcel_id], ["legacy_key", p.legacy_key], ["commune", `${p.commune_name} (${p.commune_code})`],
    ["land_use", (p.land_use || []).join("+")], ["legal_area", area(p.legal_area_m2)], ["computed_area", area(p.geodesic_area_m2)],
    ["address", p.address], ["planning_zones", planning], ["price", p.price ? p.price.text : null],
    ["ownership_category", p.ownership], ["project", project], ["units", p.units],
    ...(p.holders ? [["holders", holders]] : []),
  ], `<p><a href="/ogc/collections/parcels/items/${encodeURIComponent(p.parcel_id)}?f=json" download="${escapeHtml(p.parcel_id)}.geojson">${escapeHtml(t("download"))}</a></p>`);
}

async function openParcel(map, code, fly) {
  const f = await getJson(`/api/parcels/${encodeURIComponent(code)}`);
  parcelCard(f);
  highlight(map, f.geometry);
  if (fly) map.fitBounds(bounds(f.geometry), { padding: 120, maxZoom: 19, duration: 600 });
  return f;
}

async function openUnit(map, code) {
  const u = await getJson(`/api/units/${encodeURIComponent(code)}`);
  showCard(`${t("unit")} ${u.product_id}`, [
    ["product_id", u.product_id], ["project", u.project_code], ["parcel_id", u.parcel_id], ["building", u.building],
    ["floor", u.floor], ["unit_no", u.unit_no], ["floor_area", area(u.floor_area_m2)], ["status", u.status],
  ]);
  const geometry = u.footprint || (await getJson(`/api/parcels/${encodeURIComponent(u.parcel_id)}`)).geometry;
  highlight(map, geometry);
  map.fitBounds(bounds(geometry), { padding: 120, maxZoom: 19, duration: 600 });
}

async function search(map, raw) {
  const code = raw.trim();
  say("");
  try {
    if (/^[0-9a-z]{12}$/i.test(code)) await openParcel(map, code.toLowerCase(), true);
    else if (/^\d{5}-[^-\s]+-[^-\s]+$/.test(code)) await openParcel(map, code, true);
    else if (/^[0-9A-Z]{13,36}$/i.test(code)) await openUnit(map, code.toUpperCase());
    else say(`${t("badCode")}: ${code}`);
  } catch (e) {
    say(e.status === 404 || e.status === 400 ? `${t("notFound")}: ${code}` : e.message);
  }
}

async function main() {
  // The data's bounds and who is signed in are asked for at once, beside the styles.
  const tileset = getJson(TILESET);
  const signedIn = getJson("/api/me");
  const style = await composeStyle();
  const framed = new URLSearchParams(location.hash.slice(1)).has("map");
  const map = new maplibregl.Map({ container: "map", style, hash: "map", attributionControl: false, maxZoom: 21 });
  window.diachinh = { map };
  // When the first tile arrived, for the end-to-end test's report.
  map.once("data", function first(e) {
    if (e.dataType === "source" && e.tile) window.diachinh.firstTileMs = performance.now();
    else map.once("data", first);
  });
  map.addControl(new maplibregl.NavigationControl(), "bottom-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");
  await new Promise((resolve) => map.once("load", resolve));
  map.addSource("highlight", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "highlight", type: "line", source: "highlight", paint: { "line-color": "#00e5ff", "line-width": 4 } });
  const tiles = await tileset;
  present = categories(tiles);
  if (!framed) {
    // Open where the loaded data is densest, at a zoom that draws its parcels (the TileJSON's
    // centre): framing all the data would show specks where areas lie far apart.
    if (tiles.center) map.jumpTo({ center: [tiles.center[0], tiles.center[1]], zoom: tiles.center[2] });
  }
  me = await signedIn.catch(() => ({ anonymous: true }));
  wireAccount();
  renderPanel(map);
  writeHash();
  $("lang").addEventListener("click", () => { lang = lang === "vi" ? "en" : "vi"; renderPanel(map); writeHash(); });
  $("search").addEventListener("submit", (e) => { e.preventDefault(); search(map, $("code").value); });
  map.on("click", async (e) => {
    say("");
    const hits = await getJson(`/api/parcels?at=${e.lngLat.lng},${e.lngLat.lat}`);
    if (hits.features.length) await openParcel(map, hits.features[0].id, false);
    else { highlight(map, null); say(t("noParcel")); }
  });
  window.diachinh.ready = true;
}

main().catch((e) => say(e.message));
