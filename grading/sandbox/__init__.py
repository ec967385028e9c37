"""The machine-dependent execution of notebooks: bubblewrap, kernels, the fork server and
the warm pool, behind the pipeline's `Executor` protocol (grading.notebook.types).

It knows notebooks and machines, not the platform: no Django, no models. What it needs
from the settings (may it run unsandboxed, how many warm kernels) its callers pass in.
`executor.sandboxed_executor()` is the one entry point graders use.
"""
