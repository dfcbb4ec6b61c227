from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants: organisations and their members"

    def ready(self) -> None:
        from tenants import signals  # noqa: F401  (connects the sign-in lockout)
        from tenants.converters import register

        register()  # <id:...> in every app's urls
