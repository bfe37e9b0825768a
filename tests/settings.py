"""Test settings: the real settings, with the test switch on and a fast password hasher."""

import os

os.environ.setdefault("KNEADWELL_TESTING", "true")
os.environ.setdefault("KNEADWELL_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from kneadwell.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite signs in front desk and therapists with force_login; the tests of the second-factor
# requirement turn it on where they check it (tests/accounts).
KNEADWELL_CLINICIAN_MFA_DEFAULT = False

# A file-backed SQLite test database (one per test process), so that tests can
# open several connections at once, as concurrent requests do. An in-memory
# database would be private to one connection and hide locking behaviour.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns about a missing root)
