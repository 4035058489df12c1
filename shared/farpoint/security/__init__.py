"""The REST service's guards (docs/security.md).

- :mod:`~farpoint.security.errors` — 401/403/413/415/429 refusals in farpoint's error tree.
- :mod:`~farpoint.security.sniff` — media type from the first bytes.
- :mod:`~farpoint.security.limits` — the one upload guard (size, sniffed type), max k, job quota.
- :mod:`~farpoint.security.responses` — the one error envelope and each refusal's OpenAPI entry.
- :mod:`~farpoint.security.body_limit` — ASGI request-body size limit.
- :mod:`~farpoint.security.audit` — JSON audit lines on logger ``farpoint.audit``.
- :mod:`~farpoint.security.production` — start-up refusal of placeholder credentials.

Nothing is imported here, so importing one guard does not import the others.
"""
