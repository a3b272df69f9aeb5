DELETE FROM planning_zones WHERE id::text = $1
