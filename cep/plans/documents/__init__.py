"""The documents handed to the person: typst templates, the fonts shipped with them, and the renderer."""
