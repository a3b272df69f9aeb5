-- This transaction's parcels were checked as they are stored (`import::validity::valid`, in
-- WGS 84): the table's check (migration 29) skips its own GEOS test for them, until the
-- transaction ends.
SET LOCAL diachinh.geometry_checked = 'on'
