"""Edits the parcels layer of diachinh over WFS-T with QGIS's own WFS provider, as an officer does
in QGIS Desktop (run headless with Debian's python3-qgis and QT_QPA_PLATFORM=offscreen): changes
a parcel's land use and shape, adds a parcel, deletes one, and commits; then tries to change a
parcel outside the account's scope. Prints what QGIS reported as JSON.

Usage: python3 qgis_edit.py BASE_URL USERNAME PASSWORD EDITED DELETED OUTSIDE"""
import json
import sys

from qgis_session import start
from qgis.core import QgsFeature, QgsFeatureRequest, QgsVectorDataProvider, QgsVectorLayer

base, user, password, edited, deleted, outside = sys.argv[1:7]
app, credentials = start(user, password)
uri = f"url='{base}/wfs' version='2.0.0' typename='dc:parcels'{credentials}"
layer = QgsVectorLayer(uri, "parcels", "WFS")
seen = {"valid": layer.isValid()}


def feature(parcel_id):
    request = QgsFeatureRequest().setFilterExpression(f"\"parcel_id\" = '{parcel_id}'")
    return next(layer.getFeatures(request))


if layer.isValid():
    caps = layer.dataProvider().capabilities()
    seen["editable"] = all(
        bool(caps & c)
        for c in (
            QgsVectorDataProvider.AddFeatures,
            QgsVectorDataProvider.ChangeAttributeValues,
            QgsVectorDataProvider.ChangeGeometries,
            QgsVectorDataProvider.DeleteFeatures,
        )
    )
    fields = layer.fields()
    target = feature(edited)
    layer.startEditing()
    land_use = "ODT" if target["land_use"] == "TMD" else "TMD"
    seen["land_use"] = land_use
    layer.changeAttributeValue(target.id(), fields.indexOf("land_use"), land_use)
    nudged = target.geometry()
    nudged.translate(0.00001, 0.0)
    layer.changeGeometry(target.id(), nudged)
    added = QgsFeature(fields)
    shape = target.geometry()
    shape.translate(0.0006, 0.0)
    added.setGeometry(shape)
    added.setAttribute("legacy_key", "05443-7-9101")
    added.setAttribute("land_use", "ODT")
    added.setAttribute("legal_area_m2", 180.5)
    layer.addFeature(added)
    layer.deleteFeature(feature(deleted).id())
    seen["committed"] = layer.commitChanges()
    seen["errors"] = layer.commitErrors()
    layer.rollBack()
    # Out of scope: QGIS reports the server's refusal and nothing is written.
    other = feature(outside)
    layer.startEditing()
    layer.changeAttributeValue(other.id(), fields.indexOf("land_use"), "TMD")
    seen["outside_committed"] = layer.commitChanges()
    seen["outside_errors"] = layer.commitErrors()
    layer.rollBack()
print(json.dumps(seen, ensure_ascii=False), flush=True)
# The layer goes before the application, or QGIS crashes on the way out.
del layer
app.exitQgis()
