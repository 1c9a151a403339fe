"""The platform layer of the core app: what every other app builds on.

tenancy (the organization scope and its guard), middleware, locks, crypto (secrets at rest), the one outbox,
redaction, the outbound HTTP session, storage helpers, access (who may use which module) and the registries the
apps fill from their `AppConfig.ready()`: roles, navigation, onboarding, timeline.
"""
