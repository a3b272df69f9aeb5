"""Opens one layer of diachinh with QGIS's own WFS or OAPIF provider, as QGIS Desktop does (run
headless with Debian's python3-qgis and QT_QPA_PLATFORM=offscreen), and prints its validity,
fields and features' values as JSON. Credentials, when given, are kept as QGIS users keep them
(see qgis_session.py).

Usage: python3 qgis_layer.py BASE_URL WFS|OAPIF TYPENAME [USERNAME PASSWORD]"""
import json
import sys

from qgis_session import start
from qgis.core import NULL, QgsVectorLayer

base, provider, typename = sys.argv[1:4]
user, password = (sys.argv[4:6] + [None, None])[:2]
app, credentials = start(user, password)
endpoint = f"{base}/wfs' version='2.0.0" if provider == "WFS" else f"{base}/ogc"
layer = QgsVectorLayer(f"url='{endpoint}' typename='{typename}'{credentials}", typename, provider)
seen = {"valid": layer.isValid()}
if layer.isValid():
    names = [f.name() for f in layer.fields()]
    seen["fields"] = names
    seen["features"] = [
        {n: (None if f[n] == NULL else str(f[n])) for n in names} for f in layer.getFeatures()
    ]
print(json.dumps(seen, ensure_ascii=False), flush=True)
# The layer goes before the application, or QGIS crashes on the way out.
del layer
app.exitQgis()
