"""Reads diachinh's OGC API - Features with OWSLib, as a Python GIS client would, and prints what
it saw as JSON: the collections, one parcels page filtered by bbox, and one feature by id."""
import json
import sys

from owslib.ogcapi.features import Features

url, bbox = sys.argv[1], [float(v) for v in sys.argv[2].split(",")]
api = Features(url)
collections = [c["id"] for c in api.collections()["collections"]]
page = api.collection_items("parcels", bbox=bbox, limit=1000)
first = page["features"][0]["id"]
one = api.collection_item("parcels", first)
print(json.dumps({
    "conformance": api.conformance()["conformsTo"],
    "collections": collections,
    "matched": page["numberMatched"],
    "returned": page["numberReturned"],
    "feature": {"id": one["id"], "parcel_id": one["properties"]["parcel_id"]},
}))
