"""The village's side of town sync: wire format, transport, outbox and imports."""
