"""Action permissions on patient records beyond accounts/rules.py: duplicates and merges.

Autodiscovered at start-up (rules.apps.AutodiscoverRulesConfig imports every app's `rules`).
"""

from __future__ import annotations

import rules

from kneadwell.accounts.rules import is_clinic_staff

# Who may be told that a new registration matches an existing patient, and offered that record.
# Clinic staff see every patient anyway; to anyone else the answer would disclose that a person
# with that name, birth date and phone or e-mail is a patient here.
rules.add_perm("patients.see_duplicates", is_clinic_staff)
# Merging two records (and undoing a merge) moves one person's whole history: the front desk's job.
rules.add_perm("patients.merge_patient", is_clinic_staff)
