"""Plumbing shared by the Amazon and Zoho stand-ins: HTTP server, clock, faults, stats, buckets.

Nothing here knows about Amazon or Zoho; the pieces are small and thread-safe so one stand-in
can serve many concurrent test clients.
"""
