"""export: the picked frames (full size), manifest and report of a job into the store."""
