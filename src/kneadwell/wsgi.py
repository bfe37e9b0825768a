"""The WSGI application gunicorn serves. Loading it warms up the code set and catalogue and freezes them
out of garbage collection (serving.py).

With `kneadwell serve` (gunicorn --preload) this module is imported once in the
master process, before the workers are forked: they start with everything
loaded and take traffic at once.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kneadwell.settings")
application = get_wsgi_application()

from kneadwell.serving import prepare_worker  # noqa: E402  (needs Django set up)

prepare_worker()
