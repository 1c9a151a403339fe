"""Demo data for every app (`manage.py seed_demo`): kept out of the product apps, which never import it."""
