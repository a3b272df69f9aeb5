SELECT day, kind FROM calendar_days
