"""The player daemon that plays the plan on the loudspeakers and screens, and the command line."""
