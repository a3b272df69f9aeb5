INSERT INTO personal.data_requests (no, requester_kind, requester_name, requester_id, contact, account, purpose,
                                    parcels, commune_code, area, communes, layers, as_of, format, delivery,
                                    other_data, owner_info, owner_basis, owner_basis_document, received_at,
                                    refuse_by, due, change_id)
VALUES ('YC-' || $1 || '-' || lpad(nextval('data_request_no')::text, 6, '0'), $2, $3, $4, $5, $6, $7, $8, $9,
        ST_Multi(ST_GeomFromWKB($10, 4326)), $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
RETURNING no
