"""Re-encrypt every stored secret under the newest key in FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old one after it), run this command, then remove
the old key.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.encryption import (
    EncryptedSecretField,
    Secret,
    SecretDecryptionError,
    rotate_token,
)


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields under the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        rotated_rows = 0
        for model in apps.get_models():
            names = [
                f.name for f in model._meta.get_fields() if isinstance(f, EncryptedSecretField)
            ]
            if not names:
                continue
            with transaction.atomic():
                for row in model.objects.select_for_update().only("pk", *names):
                    changed = {}
                    for name in names:
                        value = getattr(row, name)
                        if value:
                            try:
                                changed[name] = Secret(rotate_token(value.ciphertext))
                            except SecretDecryptionError as exc:
                                raise CommandError(
                                    f"{model._meta.label} id={row.pk} field {name}: {exc}"
                                ) from None
                    if changed:
                        # A Secret is written as its ciphertext, so nothing is encrypted twice.
                        model.objects.filter(pk=row.pk).update(**changed)
                        rotated_rows += 1
        self.stdout.write(f"Rotated {rotated_rows} rows to the newest key.")
