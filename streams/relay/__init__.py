"""The WebRTC relay: camera packets fanned out to WHEP viewers, never re-encoded."""
