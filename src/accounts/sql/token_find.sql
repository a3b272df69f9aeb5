-- The account of a token in force, and the token's scope.
SELECT t.username, t.scope
FROM personal.api_tokens t
WHERE t.digest = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
