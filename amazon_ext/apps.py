from django.apps import AppConfig


class AmazonExtConfig(AppConfig):
    name = "amazon_ext"
    verbose_name = "Amazon: credentials, authorization and API clients"
