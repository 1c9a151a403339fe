"""The secret helpers moved to the core app (scrm.crypto) so tickets can use them too; kept here for importers."""

from scrm.crypto import InvalidToken, secret_decrypt, secret_encrypt

__all__ = ["InvalidToken", "secret_decrypt", "secret_encrypt"]
