from django.apps import AppConfig


class AmazonExtConfig(AppConfig):
    name = "amazon_ext"
    verbose_name = "Amazon extension: tenants and Amazon credentials"
