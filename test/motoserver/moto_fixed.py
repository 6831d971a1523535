"""Run moto_server with the fixes hawebapp's tests rely on.

moto 5.2.1 stores the UserData of CreateLaunchTemplateVersion unparsed, so any
Auto Scaling launch from such a version fails with HTTP 500. CreateLaunchTemplate
already parses it; this wrapper makes the version call do the same, then hands
over to moto's own server entry point unchanged.
"""
import sys

from moto.ec2.responses import launch_templates
from moto.ec2.utils import parse_user_data
from moto.server import main

_original_get_param = launch_templates.LaunchTemplates._get_param


def _create_launch_template_version(self):
    raw = _original_get_param(self, "LaunchTemplateData.UserData")
    if raw is None:
        return _original_create_version(self)

    def get_param(name, *args, **kwargs):
        value = _original_get_param(self, name, *args, **kwargs)
        if name == "LaunchTemplateData" and isinstance(value, dict):
            value["UserData"] = parse_user_data(raw)
        return value

    self._get_param = get_param
    try:
        return _original_create_version(self)
    finally:
        del self._get_param


_original_create_version = launch_templates.LaunchTemplates.create_launch_template_version
launch_templates.LaunchTemplates.create_launch_template_version = _create_launch_template_version

if __name__ == "__main__":
    main(sys.argv[1:])
