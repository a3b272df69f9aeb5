// Decodes Mapbox Vector Tiles with @mapbox/vector-tile (an independent decoder) and prints, for
// each file given, its layers and features as JSON: id, type, properties, rings in tile space and
// each ring's signed area (surveyor's formula, y down: exterior rings positive).
import { readFileSync } from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';

const area = (ring) => {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += (ring[j].x * ring[i].y) - (ring[i].x * ring[j].y);
  return sum / 2;
};

const out = process.argv.slice(2).map((file) => {
  const tile = new VectorTile(new Pbf(readFileSync(file)));
  const layers = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      const rings = f.loadGeometry().map((r) => r.map((p) => [p.x, p.y]));
      features.push({ id: f.id, type: f.type, properties: f.properties, rings, areas: f.loadGeometry().map(area) });
    }
    layers[name] = { version: layer.version, extent: layer.extent, features };
  }
  return layers;
});
process.stdout.write(JSON.stringify(out));
