"""What the commands print, as a library: report options, the report cache, what changed, and
tables, JSON and CSV safe for any string (render), written whole or not at all (safe_write).

Nothing here imports typer; pandas is imported only where a DataFrame is built.
"""
