"""gateway: the REST API (FastAPI, OpenAPI at /openapi.json) in front of the job system."""
