import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
application = get_wsgi_application()

# Refuse to serve with missing or wrong field keys rather than write plaintext or garbage.
from ctip.cases.crypto import check_keys_against_canary  # noqa: E402

check_keys_against_canary()

# Freeze what is loaded, so that the garbage collector's full collections no longer walk it
# inside a request (decision 0074).
from ctip.core.startup import settle  # noqa: E402

settle()
