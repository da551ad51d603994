"""Who may do what: panel users, API tokens and the emergency right."""
