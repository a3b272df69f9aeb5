"""Reads one WFS feature type with OWSLib signed in with HTTP Basic credentials (UTF-8), as a Python GIS
client would, and prints its features' properties as JSON.

Usage: owslib_signed_in.py WFS_URL TYPENAME USERNAME PASSWORD"""
import base64
import json
import sys

from owslib.wfs import WebFeatureService

url, typename, user, password = sys.argv[1:5]
# OWSLib's username/password go through requests, which encodes them as Latin-1 (no ổ or đ), so
# the Basic header is made here from UTF-8, as the service's challenge asks.
basic = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode()
wfs = WebFeatureService(url, version="2.0.0", headers={"Authorization": f"Basic {basic}"})
features, start = [], 0
while True:
    page = wfs.getfeature(typename=typename, outputFormat="application/json", maxfeatures=1000, startindex=start)
    got = json.loads(page.read())["features"]
    features += got
    start += len(got)
    if len(got) < 1000:
        break
print(json.dumps([f["properties"] for f in features], ensure_ascii=False))
