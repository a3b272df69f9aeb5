SELECT t.id, t.username, t.scope, t.issued_at, t.expires_at, t.revoked_at
FROM personal.api_tokens t
ORDER BY t.id
