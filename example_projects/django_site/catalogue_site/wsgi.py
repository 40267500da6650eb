"""WSGI entry point: ``gunicorn catalogue_site.wsgi`` (run from example_projects/django_site)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue_site.settings")

application = get_wsgi_application()
