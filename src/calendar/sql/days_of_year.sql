SELECT day, kind, name FROM calendar_days WHERE extract(year FROM day) = $1 ORDER BY day
