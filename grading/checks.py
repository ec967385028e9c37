"""System checks shown by `manage.py check`, runserver and every worker start."""

from django.conf import settings
from django.core import checks

from grading.sandbox import bubblewrap, runtimes


@checks.register(checks.Tags.security)
def sandbox_check(app_configs, **kwargs):
    messages = []
    if settings.GRADING_ALLOW_UNSANDBOXED:
        messages.append(
            checks.Warning(
                "GRADING_ALLOW_UNSANDBOXED is on: student notebooks may run WITHOUT a sandbox.",
                hint="Only for local development. Never enable it where real students submit.",
                id="grading.W001",
            )
        )
    elif not bubblewrap.bubblewrap_available():
        messages.append(
            checks.Warning(
                "bubblewrap (bwrap) is not usable here: this machine cannot grade submissions.",
                hint="Install it with `apt-get install bubblewrap` (make demo / make test do).",
                id="grading.W002",
            )
        )
    for runtime in runtimes.defined().values():
        if not runtime.installed:
            messages.append(
                checks.Warning(
                    f"The grading runtime '{runtime.name}' is not built: notebooks that need "
                    "it cannot be graded here.",
                    hint="Run `make runtimes` (make demo and make test do).",
                    id="grading.W003",
                )
            )
        elif not runtime.up_to_date:
            messages.append(
                checks.Warning(
                    f"The grading runtime '{runtime.name}' was built from an older lock file.",
                    hint="Run `make runtimes` to rebuild it.",
                    id="grading.W004",
                )
            )
    return messages
