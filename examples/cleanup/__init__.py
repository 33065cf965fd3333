"""The seed scenario: a web app hands the deletion of its temporary files to a worker.

Run it end to end with ``scripts/demo``; ``app.py`` is the web app, ``worker.py``
the service that deletes the files, ``settings.py`` what both read from the environment.
"""
