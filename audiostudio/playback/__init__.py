"""Real-time preview: a feeder thread renders master-stage blocks into a ring buffer; an output
sink only copies from it. Only ``qt_sink`` imports Qt."""
