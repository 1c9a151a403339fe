"""Beat work of the forms app."""

from celery import shared_task

from forms_builder.services import captchas_expired_delete


@shared_task(acks_late=True, name="forms_builder.tasks.captchas_expired_delete")
def captchas_expired_delete_task():
    """Hourly: the captcha pictures nobody answered in time."""
    return captchas_expired_delete()
