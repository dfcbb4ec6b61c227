from django.apps import AppConfig


class CrmSyncConfig(AppConfig):
    name = "crm_sync"
    verbose_name = "Zoho CRM sync"

    def ready(self) -> None:
        # Register the Celery tasks in every process (the web app sends them by name,
        # crm_sync.services.enqueue), not only in workers that autodiscover them.
        from crm_sync import tasks  # noqa: F401
