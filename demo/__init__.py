"""The demo country: people, curricula, courses with real lessons, notebook exercises.

Loaded by `manage.py load_demo` (`make demo`); see demo/country.py for the order.
"""
