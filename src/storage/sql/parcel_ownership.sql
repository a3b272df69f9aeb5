SELECT coalesce((SELECT category FROM parcel_ownership WHERE parcel_id = $1), 'none')
