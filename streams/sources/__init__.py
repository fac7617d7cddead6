"""Camera sources, found by URL scheme (``rtsp://``, ``file://``, ``sim://``)."""
