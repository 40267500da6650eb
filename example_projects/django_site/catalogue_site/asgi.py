"""ASGI entry point: ``uvicorn catalogue_site.asgi:application`` (see docs/deployment.md).

The async views (``/async/...``) call the backend's native ``aget``,
``aget_many`` and ``aget_or_set``; the other views run in Django's thread
pool as under any ASGI server.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue_site.settings")

application = get_asgi_application()
