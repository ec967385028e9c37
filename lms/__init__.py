"""The project package, and the people and organisations every other app builds on."""

from .celery import app as celery_app

__all__ = ("celery_app",)
