SELECT c.code, p.tm3_epsg FROM communes c JOIN provinces p ON p.code = c.province_code
