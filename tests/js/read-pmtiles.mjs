// Reads a PMTiles archive with the reference `pmtiles` package and prints its header, metadata
// and the tiles asked for (z/x/y arguments after the file), decoded with @mapbox/vector-tile:
// each layer's feature IDs, and all their properties.
import { openSync, readSync } from 'node:fs';
import { PMTiles } from 'pmtiles';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';

class FileSource {
  constructor(path) { this.path = path; this.fd = openSync(path, 'r'); }
  getKey() { return this.path; }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }
}

const [file, ...zxys] = process.argv.slice(2);
const archive = new PMTiles(new FileSource(file));
const header = await archive.getHeader();
const metadata = await archive.getMetadata();
const tiles = {};
const properties = {};
for (const zxy of zxys) {
  const [z, x, y] = zxy.split('/').map(Number);
  const tile = await archive.getZxy(z, x, y);
  if (!tile) { tiles[zxy] = null; continue; }
  const vt = new VectorTile(new Pbf(new Uint8Array(tile.data)));
  properties[zxy] = Object.fromEntries(Object.entries(vt.layers).map(([name, layer]) => {
    const all = [];
    for (let i = 0; i < layer.length; i++) all.push(layer.feature(i).properties);
    return [name, all];
  }));
  tiles[zxy] = Object.fromEntries(Object.entries(vt.layers).map(([name, layer]) => {
    const ids = [];
    for (let i = 0; i < layer.length; i++) ids.push(layer.feature(i).properties.parcel_id ?? layer.feature(i).properties.code);
    return [name, ids];
  }));
}
process.stdout.write(JSON.stringify({ header, metadata, tiles, properties }));
