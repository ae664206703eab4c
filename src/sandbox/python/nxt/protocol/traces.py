"""What a traced run may send (decision 0018): the tracer (child/tracer.py) stays within these limits,
and the server (server/trace_records.py) refuses a trace that passes them as forged."""

DEFAULT_MAX_EVENTS = 50000
DEFAULT_MAX_CHARS = 4000000
CHUNK_EVENTS = 2000  # events per trace record
MAX_BYTES = 48 * 1024 * 1024  # under frames.MAX_PAYLOAD: a whole trace fits one record


def limits(config):
    """The most a traced run sends, for a tracer config: bytes of trace chunks (JSON, ASCII: a character
    of a value takes up to 6 bytes escaped, most take 1), events (follow_to_end adds two past the cap),
    frames (each call is an event, or a module frame whose name counts as characters), and lists and
    dicts in one chunk (so that the server bounds what parsing a forged chunk builds)."""
    chars = config.get("maxChars", DEFAULT_MAX_CHARS)
    events = config.get("maxEvents", DEFAULT_MAX_EVENTS)
    return {"bytes": min(MAX_BYTES, 4 * chars + 64 * events + (1 << 20)), "events": events + 2,
            "frames": events + chars // 8 + 1, "containers": chars + 4 * (events + CHUNK_EVENTS) + 1024}
