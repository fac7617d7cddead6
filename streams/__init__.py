"""The video relay (aiortc, WHEP): camera sources by URL scheme. Knows nothing of Dash."""
