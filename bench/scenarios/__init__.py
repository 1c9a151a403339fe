"""One module per scenario.

A scenario module defines ``run(args) -> dict`` (its figures, JSON-serialisable) and may define
``add_arguments(parser)`` to declare its own ``--options``. The runner discovers modules here by name; a module whose
name starts with an underscore is a helper, not a scenario.
"""
