"""The signals courses sends. A bulk write sends no post_save, so who listens to enrolments (the
run-plan cache of live cells) hears of bulk ones here."""

from django.dispatch import Signal

# Sent after enrolments were made or reactivated in bulk (`enrolments_bulk_apply`), with `users`:
# every user whose enrolments changed.
enrolments_changed = Signal()
