#!/usr/bin/env python
"""Django's command-line utility for the catalogue example.

python manage.py runserver --noreload      (embedded Aerospike server in-process)
AEROSPIKE_HOSTS=10.0.0.5:3000 python manage.py runserver
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
