"""The signals onboarding sends. Declared apart from the receivers in `signals.py`, which call the services
that send these: one module each way, no loop."""

from django.dispatch import Signal

# Sent once when a pass's validity ended without renewal (the sweep records it with an UPDATE, which
# sends no post_save), with `completion`. A new pass is a post_save with created=True.
completion_expired = Signal()
