"""The release version reported by /api/health and the OpenAPI document."""
__version__ = "0.1.0"
