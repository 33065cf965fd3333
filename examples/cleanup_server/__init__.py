"""The service that owns ``cleanup``, implemented against the generated ``CleanupService``."""
