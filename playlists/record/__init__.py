"""What happened: the as-run log, the audit log, events and the campaign report."""
