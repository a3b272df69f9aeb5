"""Reads diachinh's WFS 2.0 with OWSLib, as a Python GIS client would, and prints what it saw as
JSON: the feature types, the parcels in a bbox (GeoJSON), and one feature's GML by id."""
import json
import sys

from owslib.wfs import WebFeatureService

url, bbox = sys.argv[1], tuple(float(v) for v in sys.argv[2].split(","))
wfs = WebFeatureService(url, version="2.0.0")
types = sorted(wfs.contents)
page = wfs.getfeature(typename="dc:parcels", bbox=bbox + ("EPSG:4326",), outputFormat="application/json")
fc = json.loads(page.read())
first = fc["features"][0]["id"]
gml = wfs.getfeature(typename="dc:parcels", featureid=[f"parcels.{first}"]).read()
if isinstance(gml, bytes):
    gml = gml.decode()
print(json.dumps({
    "title": wfs.identification.title,
    "types": types,
    "operations": sorted(op.name for op in wfs.operations),
    "matched": fc["numberMatched"],
    "ids": sorted(f["id"] for f in fc["features"]),
    "gml_has_first": f'gml:id="parcels.{first}"' in gml,
}))
