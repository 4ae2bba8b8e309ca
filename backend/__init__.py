"""Venture CRM server package."""
