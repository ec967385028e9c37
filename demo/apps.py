from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo country and its `load_demo` command. No models, no pages of its own, so
    nothing here is shown to a user (and there is no name to translate)."""

    name = "demo"
