"""The Selling Partner API connector (Login with Amazon + Orders v0 + Tokens 2021-03-01)."""
