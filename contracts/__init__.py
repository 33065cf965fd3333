"""Contracts shared by the example services. Import a service's module to use it."""
