"""The web server's own surface, apart from pages: security headers and trusted
proxies (security.py), Prometheus metrics (metrics.py)."""
