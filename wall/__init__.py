"""citywall: a command-centre video wall and real-time dashboard for city management."""

__version__ = "0.1.0"
