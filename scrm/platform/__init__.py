"""The platform layer of the core app: what every other app builds on (the one outbox, redaction; later tenancy,
the registries and the middleware)."""
