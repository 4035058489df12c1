"""normalization: once every shard of a job is embedded, fit the reducer and transform all."""
