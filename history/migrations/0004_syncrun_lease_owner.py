from django.db import migrations, models


class Migration(migrations.Migration):
    """The run's claim names the execution attempt, not the Celery task id: a task delivered
    twice has one id but two executors, and only one may hold the run."""

    dependencies = [
        ("history", "0003_tenant_moves_to_tenants_app"),
    ]

    operations = [
        migrations.RenameField(model_name="syncrun", old_name="task_id", new_name="lease_owner"),
        migrations.AlterField(
            model_name="syncrun",
            name="lease_owner",
            field=models.CharField(
                blank=True,
                help_text="The execution attempt that holds this run (one live executor per run)",
                max_length=64,
            ),
        ),
    ]
