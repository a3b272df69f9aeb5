-- Which of these parcel IDs any parcel, current or former, has held.
SELECT DISTINCT parcel_id FROM parcels WHERE parcel_id = ANY ($1)
