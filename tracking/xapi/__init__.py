"""xAPI 1.0.3 statements: validating models, our vocabulary and pure builders. No Django models here."""
