"""The REST service's guards (docs/security.md).

- :mod:`~farpoint.security.errors` — 401/403/413/415/429 refusals in farpoint's error tree.
- :mod:`~farpoint.security.sniff` — media type from the first bytes.
- :mod:`~farpoint.security.limits` — upload size/type, max k, concurrent-job quota.
- :mod:`~farpoint.security.body_limit` — ASGI request-body size limit.
- :mod:`~farpoint.security.audit` — JSON audit lines on logger ``farpoint.audit``.
- :mod:`~farpoint.security.production` — start-up refusal of placeholder credentials.

Nothing is imported here, so importing one guard does not import the others.
"""
