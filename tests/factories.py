"""factory-boy factories for tenants, users and credentials."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from amazon_ext.models import AmazonCredentials
from tenants.models import Membership, Tenant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("correct-horse-9")


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Org {n}")
    time_zone = "America/Los_Angeles"
    super_admin_email = factory.Sequence(lambda n: f"admin{n}@org.example")
    installed_at = factory.LazyFunction(timezone.now)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    profile = "Administrator"


class MwsCredentialsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AmazonCredentials

    tenant = factory.SubFactory(TenantFactory)
    kind = "mws"
    seller_id = "A2X13Y8357WGYA"
    marketplace_ids = factory.LazyFunction(lambda: ["ATVPDKIKX0DER"])
    access_key = "SANDBOXACCESSKEY0001"
    secret_key = "sandboxSecretKey/abcdefghij1234567890+="
    mws_auth_token = "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE"
