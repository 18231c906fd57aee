"""Facilities (photon and neutron sources), their contacts, and their staff.

The tables keep the names they had in courses and onboarding, where these models lived first
(migrations/0001_initial.py moves them without touching a row).
"""

from django.conf import settings
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable


class Facility(ClusterableModel):
    """A photon or neutron source offering training. Courses, programmes and experiments belong to one."""

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, unique=True, help_text="As users say it, e.g. ESRF, ISIS, ANSTO.")
    ror_id = models.URLField(blank=True, help_text="Research Organization Registry id, e.g. https://ror.org/02550n020")
    website = models.URLField(blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Shown on the facility's training pages (and, later, its certificates).",
    )  # fmt: skip

    panels = [
        FieldPanel("name"),
        FieldPanel("short_name"),
        FieldPanel("ror_id"),
        FieldPanel("website"),
        FieldPanel("logo"),
        InlinePanel("contacts", label="Contacts", help_text="Whom users ask about training and access."),
    ]

    class Meta:
        db_table = "panlearn_courses_facility"
        ordering = ["short_name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.short_name


class FacilityContact(Orderable):
    """A named contact of a facility (user office, safety officer…), listed to its users."""

    facility = ParentalKey(Facility, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(max_length=100, help_text="e.g. User office, Radiation protection officer.")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    panels = [FieldPanel("role"), FieldPanel("name"), FieldPanel("email"), FieldPanel("phone")]

    class Meta(Orderable.Meta):
        db_table = "panlearn_courses_facilitycontact"

    def __str__(self) -> str:
        return f"{self.role}: {self.name or self.email or self.phone}"


class FacilityStaff(models.Model):
    """A user who manages a facility in the admin; they see that facility only (selectors.py)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="facility_staff")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "panlearn_onboarding_facilitystaff"
        verbose_name = "facility staff member"
        verbose_name_plural = "facility staff"
        constraints = [models.UniqueConstraint(fields=["facility", "user"], name="one_staff_row_per_facility_user")]

    def __str__(self) -> str:
        return f"{self.user} at {self.facility}"
