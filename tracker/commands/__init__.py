"""The thin typer layer: each module registers commands that parse options, call the library and
print.
"""
