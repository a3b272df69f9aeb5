SELECT c.at, c.entries, c.head, c.public_key, c.signature FROM audit.checkpoints c ORDER BY c.entries, c.at
