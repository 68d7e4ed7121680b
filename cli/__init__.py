"""The ``counter`` command (``cli.main``): the app, the journal, devices, sync and HQ's own
commands. It stands on ``app/``; the window is imported only to start it, and HQ only
through HQ's own command line (``hq.cli``)."""
