-- The management units of project $1's buildings.
SELECT m.tax_code, m.notice_on, m.name, m.project_code, m.building
FROM management_units m WHERE m.project_code = $1 ORDER BY m.building, m.notice_on
