"""Messages to patients (confirmations, reminders, changes, cancellations, waitlist offers) that never
fail silently, their contact preferences, and calendar feeds.

Above scheduling in the layers: it reads appointments; the booking code calls its public service
functions (notifications.services) once its transactions commit.
"""
