"""Zoho CRM: OAuth connect, token refresh, the batched API client and custom-field setup."""
