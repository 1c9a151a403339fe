# The forms_builder models arrive with their issue; see ../shared/DESIGN.md.
