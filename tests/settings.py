"""Test settings: the real settings, with the test switch on and a fast password hasher."""

import os

os.environ.setdefault("KNEADWELL_TESTING", "true")
os.environ.setdefault("KNEADWELL_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from kneadwell.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
