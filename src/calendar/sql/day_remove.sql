DELETE FROM calendar_days WHERE day = $1
