"""What training raises besides ``ConfigError`` (``pipeline.training.config``)."""


class Cancelled(Exception):
    """Raised by an engine when ``should_stop()`` said yes; nothing finished was written."""
