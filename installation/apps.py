from django.apps import AppConfig


class InstallationConfig(AppConfig):
    name = "installation"
    verbose_name = "Installation: install wizard, settings and uninstall"
