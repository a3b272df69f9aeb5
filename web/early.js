// Run in the page's head, before MapLibre's code, which takes most of a second to load and start
// its worker on a slow machine: asks for the map's style and, once it comes, for the tiles of the
// first view. Tiles are cacheable (a minute or more), so the map's own requests for them are then
// answered from the HTTP cache instead of waiting on the server.
"use strict";

window.diachinhStyle = (() => {
  const params = new URLSearchParams(location.hash.slice(1));
  const on = params.get("on") || "";
  const query = /^\d{4}-\d{2}-\d{2}$/.test(on) ? `?on=${on}` : "";
  const style = fetch(`/styles/map.json${query}`).then((r) => (r.ok ? r.json() : null));
  style.then((s) => s && prefetchTiles(s, params.get("map"))).catch(() => {});
  return style.catch(() => null);
})();

/** Asks for the tiles a map filling this window shows first: the URL's view (`zoom/lat/lng`),
 * else the style's. */
function prefetchTiles(style, hashView) {
  const source = style.sources?.diachinh;
  if (!source?.tiles?.length) return;
  let [zoom, lat, lng] = (hashView || "").split("/").map(Number);
  if (![zoom, lat, lng].every(Number.isFinite)) [zoom, [lng, lat]] = [style.zoom, style.center];
  const z = Math.max(source.minzoom ?? 0, Math.min(source.maxzoom ?? 22, Math.floor(zoom)));
  const n = 2 ** z;
  // Web Mercator in [0, 1]; vector tiles are 512 px, so the world is 512·2^zoom px wide.
  const x = (lng + 180) / 360;
  const sin = Math.sin((lat * Math.PI) / 180);
  const y = 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
  const world = 512 * 2 ** zoom;
  const [dx, dy] = [innerWidth / 2 / world, innerHeight / 2 / world];
  const tile = (v) => Math.min(n - 1, Math.max(0, Math.floor(v * n)));
  for (let tx = tile(x - dx); tx <= tile(x + dx); tx++) {
    for (let ty = tile(y - dy); ty <= tile(y + dy); ty++) {
      fetch(source.tiles[0].replace("{z}", z).replace("{x}", tx).replace("{y}", ty)).catch(() => {});
    }
  }
}
