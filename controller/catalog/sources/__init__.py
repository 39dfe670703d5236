"""Source code of the ``/whisk.system`` catalog's actions (python:3.11, run in containers).

These files are read as text and stored as action code; nothing in the project imports them.
"""
