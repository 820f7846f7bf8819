"""A fast PBKDF2 variant used only for one-time initial passwords (see services)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class InitialPasswordHasher(PBKDF2PasswordHasher):
    """Random one-time passwords carry their own entropy; few iterations keep bulk issuing fast.

    `must_update` is always true, so Django re-hashes with the default hasher at the next
    successful login, and the learner must change the password anyway.
    """

    algorithm = "pbkdf2_sha256_initial"
    iterations = 10_000

    def must_update(self, encoded):
        return True
