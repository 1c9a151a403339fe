# The settlement models arrive with their issue; see ../shared/DESIGN.md.
