"""The clinical-priority waitlist: requests for a time window, ranked by clinical priority; freed slots
offered to the best-matching request with a hold that blocks everyone else until it expires."""
