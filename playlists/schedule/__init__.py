"""When content plays: schedule limits and the calendar."""
