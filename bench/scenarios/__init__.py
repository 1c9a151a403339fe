"""One module per scenario.

A scenario module defines ``run(args) -> dict`` (its figures, JSON-serialisable), may define
``add_arguments(parser)`` to declare its own ``--options``, and defines ``TINY``: the options of a run that takes
seconds (``python -m bench <name> --tiny``), which the tests run against a freshly migrated database so that a
scenario cannot quietly stop working. The runner discovers modules here by name; a module whose
name starts with an underscore is a helper, not a scenario.
"""
