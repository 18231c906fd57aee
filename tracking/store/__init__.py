"""The built-in statement store: an LRS Statements resource and About resource in Django."""
