"""What the commands print, as a library: the report options, the report cache, and text
builders for the series reports, the store's state and the claims.

Nothing here imports typer; pandas is imported only where a DataFrame is built.
"""
