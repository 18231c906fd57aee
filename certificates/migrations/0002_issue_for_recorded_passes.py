"""Passes recorded before this app was installed get their certificate, dated when they were recorded."""

from django.db import migrations


def issue(apps, schema_editor):
    from certificates.ids import new_public_id

    Certificate = apps.get_model("panlearn_certificates", "Certificate")
    ProgrammeCompletion = apps.get_model("panlearn_onboarding", "ProgrammeCompletion")
    missing = ProgrammeCompletion.objects.filter(certificate__isnull=True).only("pk", "recorded_at")
    Certificate.objects.bulk_create(
        [Certificate(completion_id=c.pk, public_id=new_public_id(), issued_at=c.recorded_at) for c in missing.iterator()],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("panlearn_certificates", "0001_initial")]

    operations = [migrations.RunPython(issue, migrations.RunPython.noop)]
