"""A headless QGIS application (Debian's python3-qgis, QT_QPA_PLATFORM=offscreen) with, when
credentials are given, a Basic configuration in QGIS's own (encrypted) authentication database,
as QGIS users keep them. (The plain username/password of a connection are sent Latin-1 encoded
by QGIS 3.22, which loses Vietnamese letters such as ổ or đ.)"""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QGIS_AUTH_DB_DIR_PATH"] = tempfile.mkdtemp()
from qgis.core import QgsApplication, QgsAuthMethodConfig  # noqa: E402


def start(user=None, password=None):
    """The running application, and the ` authcfg='…'` to add to a layer's URI ('' without credentials)."""
    app = QgsApplication([], False)
    app.initQgis()
    if not user:
        return app, ""
    auth = QgsApplication.authManager()
    auth.setMasterPassword("diachinh tests", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("diachinh")
    config.setConfig("username", user)
    config.setConfig("password", password)
    auth.storeAuthenticationConfig(config)
    return app, f" authcfg='{config.id()}'"
