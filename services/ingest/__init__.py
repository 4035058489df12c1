"""ingest: decode a job's media into frame shards in the store, one message per shard."""
