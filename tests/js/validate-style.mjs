// Validates MapLibre styles with @maplibre/maplibre-gl-style-spec; prints every error and exits 1
// when any style has one.
import { readFileSync } from 'node:fs';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

let failed = false;
for (const file of process.argv.slice(2)) {
  const errors = validateStyleMin(JSON.parse(readFileSync(file, 'utf8')));
  for (const e of errors) {
    console.log(`${file}: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
