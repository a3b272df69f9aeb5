// The planners' map: this server's styles drawn by MapLibre, overlays switched in a panel with
// legends read from the styles, search by parcel or product code, and a card for each parcel with
// its history; a date picker redraws the map as it was on a day, and officers who may edit change
// a parcel's attributes from its card. Anyone reports an error on a parcel or asks for its data
// from the card, and planned interruptions are announced above the panel. The view (centre, zoom, layers, language, date) lives in
// the URL hash so it can be shared.
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
    mapOn: "Bản đồ ngày", history: "Lịch sử", parents: "Thửa gốc", children: "Thửa mới", edit: "Sửa thuộc tính",
    save: "Lưu", saved: "Đã lưu", current: "hiện hành",
    registration: "đăng ký", attributes: "thuộc tính", resurvey: "đo đạc lại", land_use_event: "chuyển mục đích",
    legal_area_event: "diện tích", transfer: "chuyển quyền", split: "tách thửa", merge: "hợp thửa", retirement: "xoá",
    market: "Thị trường BĐS", marketChart: "Giá giao dịch trung vị (triệu đồng/m²) theo quý", suppressed: "dưới 3 giao dịch",
    report: "Báo sai sót", reportMessage: "Mô tả sai sót", contact: "Liên hệ (điện thoại, email)", submit: "Gửi",
    reported: "Đã ghi nhận phiếu", due: "hạn xử lý", request: "Yêu cầu cung cấp dữ liệu", requesterName: "Họ tên / tổ chức",
    purpose: "Mục đích sử dụng", format: "Định dạng", requested: "Đã nhận yêu cầu", openData: "Dữ liệu mở (không cần yêu cầu)",
    notice: "Thông báo tạm dừng",
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
    mapOn: "Map on", history: "History", parents: "Came from", children: "Became", edit: "Edit attributes",
    save: "Save", saved: "Saved", current: "current",
    registration: "registration", attributes: "attributes", resurvey: "re-survey", land_use_event: "land-use change",
    legal_area_event: "legal area", transfer: "transfer", split: "split", merge: "merge", retirement: "retired",
    market: "Market", marketChart: "Median price (million VND/m²) by quarter", suppressed: "fewer than 3 transactions",
    report: "Report an error", reportMessage: "What is wrong", contact: "Contact (phone, email)", submit: "Send",
    reported: "Recorded as ticket", due: "due", request: "Request data", requesterName: "Name / organisation",
    purpose: "Purpose of use", format: "Format", requested: "Request received", openData: "Open data (no request needed)",
    notice: "Planned interruption",
  },
};

// Overlay groups: the style each comes from and the layers of it that the group switches.
const GROUPS = [
  { id: "cadastral", style: "cadastral", layers: ["parcels-fill", "parcels-line", "communes-fill"] },
  { id: "planning", style: "planning", layers: ["planning-fill", "planning-line"] },
  { id: "pricing", style: "pricing", layers: ["pricing-line"] },
  { id: "ownership", style: "ownership", layers: ["ownership-fill", "ownership-line"] },
  { id: "projects", style: null, layers: ["projects-fill", "projects-line"] },
  { id: "market", style: "market", layers: ["market-fill", "market-line"] },
];
const TILESET = "/tiles/admin,parcels,planning,pricing,ownership,projects,market.json";
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
// The day the map shows (YYYY-MM-DD), or "" for now.
let day = /^\d{4}-\d{2}-\d{2}$/.test(params.get("on") || "") ? params.get("on") : "";
const onQuery = (sep) => (day ? `${sep}on=${day}` : "");
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

/**
 * The map's one style (the server composes the cadastral base, every overlay's layers and one
 * tile source, opening where the data is densest), with the streets under it, the projects
 * outlined, and the groups of the URL shown.
 */
async function composeStyle() {
  // The head's early.js asked for it already; asked again only if that failed, to say why.
  const style = (await window.diachinhStyle) ?? (await getJson(`/styles/map.json${onQuery("?")}`));
  const top = style.layers.findIndex((l) => l.id === "communes-line");
  style.layers.splice(top, 0, ...PROJECT_LAYERS);
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
  if (day) p.set("on", day); else p.delete("on");
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
  return card;
}

const EVENT_NAMES = { land_use: "land_use_event", legal_area: "legal_area_event" };
const when = (iso) => new Date(iso).toLocaleString(lang, { dateStyle: "short", timeStyle: "short" });

/** The parcel's history under its card: versions and events, parents and children as links. */
async function showHistory(map, card, parcelId) {
  const h = await getJson(`/api/parcels/${encodeURIComponent(parcelId)}/history`);
  const events = h.events.map((e) => `<li>${escapeHtml(when(e.at))} ${escapeHtml(t(EVENT_NAMES[e.kind] || e.kind))}${e.legal_basis ? ` — ${escapeHtml(e.legal_basis)}` : ""}${e.actor ? ` (${escapeHtml(e.actor)})` : ""}</li>`).join("");
  const versions = h.versions.map((v) => `<li>${escapeHtml(when(v.valid_from))} → ${v.valid_to ? escapeHtml(when(v.valid_to)) : escapeHtml(t("current"))}: ${escapeHtml(v.land_use)}, ${escapeHtml(area(v.legal_area_m2) ?? t("none"))}</li>`).join("");
  const links = (list) => list.map((r) => `<button type="button" class="lineage" data-id="${escapeHtml(r.id)}">${escapeHtml(r.id)}</button>`).join(" ");
  const box = document.createElement("section");
  box.id = "history";
  box.innerHTML = `<h4>${escapeHtml(t("history"))}</h4><ol>${versions}</ol><ol>${events}</ol>`
    + (h.ancestors.length ? `<h4>${escapeHtml(t("parents"))}</h4><p>${links(h.ancestors)}</p>` : "")
    + (h.descendants.length ? `<h4>${escapeHtml(t("children"))}</h4><p>${links(h.descendants)}</p>` : "");
  box.querySelectorAll("button.lineage").forEach((b) => b.addEventListener("click", () => openRelative(map, b.dataset.id)));
  card.appendChild(box);
  return h;
}

/** A parcel of the lineage: as it is, or, once closed, as its last version was. */
async function openRelative(map, id) {
  const h = await getJson(`/api/parcels/${encodeURIComponent(id)}/history`);
  const last = h.versions[h.versions.length - 1];
  await openParcel(map, id, true, h.current ? "" : last.valid_from);
}

/** Officers who may edit change the parcel's attributes from its card (a merge patch, on the
 * version shown: a stale one is refused). */
function editForm(map, card, p, etag) {
  const form = document.createElement("form");
  form.id = "edit";
  const field = (name, value, type = "text") => `<label for="edit-${name}">${escapeHtml(t(name))}</label><input id="edit-${name}" name="${name}" type="${type}" step="any" value="${escapeHtml(value ?? "")}">`;
  form.innerHTML = `<h4 style="grid-column: 1 / 3">${escapeHtml(t("edit"))}</h4>${field("land_use", (p.land_use || []).join("+"))}${field("legal_area", p.legal_area_m2, "number")}${field("address", p.address)}<button type="submit">${escapeHtml(t("save"))}</button>`;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (name) => form.elements[name].value.trim();
    const properties = { land_use: v("land_use"), legal_area_m2: v("legal_area") === "" ? null : Number(v("legal_area")), address: v("address") || null };
    try {
      const headers = { "content-type": "application/merge-patch+json", "if-match": etag };
      if (me.csrf) headers["x-csrf-token"] = me.csrf;
      await getJson(`/ogc/collections/parcels/items/${encodeURIComponent(p.parcel_id)}`, { method: "PATCH", headers, body: JSON.stringify({ properties }) });
      await openParcel(map, p.parcel_id, false);
      say(t("saved"));
    } catch (err) {
      say(err.message);
    }
  });
  card.appendChild(form);
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
  return showCard(`${t("parcel")} ${p.parcel_id}`, [
    ["parcel_id", p.parcel_id], ["legacy_key", p.legacy_key], ["commune", `${p.commune_name} (${p.commune_code})`],
    ["land_use", (p.land_use || []).join("+")], ["legal_area", area(p.legal_area_m2)], ["computed_area", area(p.geodesic_area_m2)],
    ["address", p.address], ["planning_zones", planning], ["price", p.price ? p.price.text : null],
    ["ownership_category", p.ownership], ["project", project], ["units", p.units],
    ...(p.holders ? [["holders", holders]] : []),
  ], `<p><a href="/ogc/collections/parcels/items/${encodeURIComponent(p.parcel_id)}?f=json" download="${escapeHtml(p.parcel_id)}.geojson">${escapeHtml(t("download"))}</a></p>`);
}

/** A chart of the commune's median price per m² by quarter (open market statistics); quarters
 * with fewer than 3 transactions are gaps, marked as such. */
async function marketChart(card, commune) {
  const stats = await getJson(`/api/market/stats?commune=${encodeURIComponent(commune)}&by=quarter`);
  const cells = stats.cells.filter((c) => c.product_kind === "all");
  if (!cells.length) return;
  const W = 300, H = 120, pad = 24;
  const max = Math.max(1, ...cells.map((c) => c.median_price_mvnd_m2 ?? 0));
  const x = (i) => pad + (cells.length === 1 ? (W - 2 * pad) / 2 : (i * (W - 2 * pad)) / (cells.length - 1));
  const y = (v) => H - pad - (v / max) * (H - 2 * pad);
  const marks = cells.map((c, i) => (c.suppressed
    ? `<text x="${x(i)}" y="${H - pad}" font-size="9" text-anchor="middle" fill="#999"><title>${escapeHtml(t("suppressed"))}</title>·</text>`
    : `<circle cx="${x(i)}" cy="${y(c.median_price_mvnd_m2)}" r="3" fill="#d94801"><title>${escapeHtml(c.period)}: ${c.median_price_mvnd_m2}</title></circle>`)
    + `<text x="${x(i)}" y="${H - 6}" font-size="8" text-anchor="middle">${escapeHtml(c.period)}</text>`).join("");
  const points = cells.map((c, i) => (c.suppressed ? null : `${x(i)},${y(c.median_price_mvnd_m2)}`)).filter(Boolean).join(" ");
  const box = document.createElement("section");
  box.id = "market-chart";
  box.innerHTML = `<h4>${escapeHtml(t("marketChart"))}</h4><svg width="${W}" height="${H}" role="img"><polyline points="${points}" fill="none" stroke="#d94801"/>${marks}<text x="2" y="${pad}" font-size="9">${max}</text></svg>`;
  card.appendChild(box);
}

/** A form under a card that posts its fields as JSON to `url` and says what the answer was. */
function cardForm(card, id, title, fields, url, body, answered) {
  const form = document.createElement("form");
  form.id = id;
  form.className = "service";
  const input = ([name, kind]) => (kind === "select"
    ? `<label>${escapeHtml(t(name))}<select name="${name}">${["gpkg", "shp", "csv", "pdf"].map((f) => `<option>${f}</option>`).join("")}</select></label>`
    : `<label>${escapeHtml(t(name))}<${kind === "area" ? "textarea" : "input"} name="${name}" required></${kind === "area" ? "textarea" : "input"}></label>`);
  form.innerHTML = `<h4>${escapeHtml(t(title))}</h4>${fields.map(input).join("")}<button type="submit">${escapeHtml(t("submit"))}</button>`;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = Object.fromEntries(fields.map(([name]) => [name, form.elements[name].value.trim()]));
    try {
      const headers = { "content-type": "application/json" };
      if (me.csrf) headers["x-csrf-token"] = me.csrf;
      const r = await getJson(url, { method: "POST", headers, body: JSON.stringify(body(v)) });
      say(answered(r));
      form.remove();
    } catch (err) {
      say(err.message);
    }
  });
  card.appendChild(form);
}

/** Anyone may report a suspected error on the parcel, or ask for its data (form 13/ĐK). */
function serviceButtons(card, parcelId) {
  const box = document.createElement("p");
  box.className = "services";
  box.innerHTML = `<button type="button" id="report-open">${escapeHtml(t("report"))}</button> <button type="button" id="request-open">${escapeHtml(t("request"))}</button>`;
  box.querySelector("#report-open").addEventListener("click", () => cardForm(card, "report", "report",
    [["reportMessage", "area"], ["contact", "text"]], "/api/reports",
    (v) => ({ parcel: parcelId, message: v.reportMessage, contact: v.contact }),
    (r) => `${t("reported")} ${r.ticket}, ${t("due")} ${r.due}`));
  box.querySelector("#request-open").addEventListener("click", () => cardForm(card, "request", "request",
    [["requesterName", "text"], ["contact", "text"], ["purpose", "area"], ["format", "select"]], "/api/requests",
    (v) => ({ requester_kind: "person", requester_name: v.requesterName, contact: v.contact, purpose: v.purpose,
      parcels: [parcelId], layers: ["parcels"], format: v.format, delivery: "download" }),
    (r) => `${t("requested")} ${r.no}, ${t("due")} ${r.due}`));
  card.appendChild(box);
}

/** Planned interruptions, announced on the map while they are pending. */
async function showNotices() {
  const { notices } = await getJson("/api/notices");
  const box = $("notice");
  box.innerHTML = notices.map((n) => `<strong>${escapeHtml(t("notice"))}</strong> ${escapeHtml(when(n.starts_at))} → ${escapeHtml(when(n.ends_at))}: ${escapeHtml(n.message)}`).join("<br>");
  box.hidden = !notices.length;
}

/** The parcel's card, as it is or as it was at `at` (the map's day when not given). */
async function openParcel(map, code, fly, at) {
  const on = at ? `?on=${encodeURIComponent(at)}` : onQuery("?");
  const f = await getJson(`/api/parcels/${encodeURIComponent(code)}${on}`);
  const card = parcelCard(f);
  highlight(map, f.geometry);
  if (fly) map.fitBounds(bounds(f.geometry), { padding: 120, maxZoom: 19, duration: 600 });
  const h = await showHistory(map, card, f.properties.parcel_id);
  if (h.current && !on) serviceButtons(card, f.properties.parcel_id);
  if (f.properties.commune_code) await marketChart(card, f.properties.commune_code).catch(() => {});
  if (me.cadastre === "edit" && h.current && !on) editForm(map, card, f.properties, h.versions[h.versions.length - 1].etag);
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
  // Who is signed in is asked for beside the style; the map starts as soon as the style comes.
  const signedIn = getJson("/api/me");
  const style = await composeStyle();
  const tiles = style.metadata["diachinh:tilejson"];
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
  // Opened where the loaded data is densest, at a zoom that draws its parcels (the style's
  // centre), unless the URL frames a view: framing all the data would show specks where areas
  // lie far apart.
  present = categories(tiles);
  me = await signedIn.catch(() => ({ anonymous: true }));
  wireAccount();
  showNotices().catch(() => {});
  renderPanel(map);
  writeHash();
  $("lang").addEventListener("click", () => { lang = lang === "vi" ? "en" : "vi"; renderPanel(map); writeHash(); });
  $("search").addEventListener("submit", (e) => { e.preventDefault(); search(map, $("code").value); });
  // The day picked redraws the map as it was (tiles of that day) and cards answer for it.
  $("on").value = day;
  $("on").max = new Date().toISOString().slice(0, 10);
  $("on").addEventListener("change", (e) => {
    day = e.target.value;
    map.getSource("diachinh").setUrl(new URL(TILESET + onQuery("?"), location.href).href);
    $("card").hidden = true;
    highlight(map, null);
    writeHash();
  });
  map.on("click", async (e) => {
    say("");
    const hits = await getJson(`/api/parcels?at=${e.lngLat.lng},${e.lngLat.lat}${onQuery("&")}`);
    if (hits.features.length) await openParcel(map, hits.features[0].id, false);
    else { highlight(map, null); say(t("noParcel")); }
  });
  window.diachinh.ready = true;
}

main().catch((e) => say(e.message));
