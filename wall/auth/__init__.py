"""Who may see and do what on the wall: users with password hashes, roles, device
tokens for the unattended wall PCs, and login rate limiting (issue 6).

These are the parts the web tier's gate is built from; they know nothing of Dash.
"""
