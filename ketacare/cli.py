"""``ketacare <command>``: Django's management commands under the project's name.

``ketacare demo --patients 200 --seed 1``, ``ketacare migrate``, ``ketacare audit_verify`` …
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ketacare", *sys.argv[1:]])


if __name__ == "__main__":
    main()
